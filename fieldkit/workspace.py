"""A data dir opened for work: forms, store and identity behind one API for the CLI and the app.

Every change goes through here, so a record from the app and one from the command line are
checked, defaulted and versioned the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from fieldkit import casework
from fieldkit.errors import FieldkitError
from fieldkit.files import durable
from fieldkit.files.locations import drafts_dir, forms_dir, held_dir, store_dir
from fieldkit.forms import grids, idnumber, schedule
from fieldkit.forms.counted import CODES_USED
from fieldkit.forms.definitions import Field, Form, FormSet, load_forms
from fieldkit.forms.validation import Context, Outcome, Problem, ValidationFailed, validate
from fieldkit.store import errorlog, vault
from fieldkit.store.changes import SEQ, ChangeSet
from fieldkit.store.database import Store, Transaction
from fieldkit.store.records import now_iso, record_day
from fieldkit.store.versions import heads_of
from fieldkit.sync import casenumbers, convert, devices, keys
from fieldkit.sync.export import EVERYTHING_NEXT, EXPORTED
from fieldkit.sync.seals import SEALED

IDENTITY = "identity"  # meta
NOW_GRACE = timedelta(minutes=5)  # how far ahead of the clock a "not in the future" time may be


@dataclass(frozen=True)
class Identity:
    """Who records on this data dir; set once at first run (`fieldkit init`)."""

    worker: str
    grid: str
    org: str
    abbr: str
    device: str  # this data dir's device id (a hash of its signing key)
    role: str = "laptop"  # or "office", once `keygen` made it the street office
    office: str | None = None  # the office's device id, from its key file
    office_box: str | None = None  # the office's encryption key (base64): exports are encrypted

    @property
    def encrypts(self) -> bool:
        return self.office_box is not None


class Workspace:
    """The forms, the store and the identity of one data dir."""

    def __init__(self, root: Path, *, today: date | None = None, read_only: bool = False):
        """Open a data dir for work, or with `read_only` for reading beside the app (see
        `open_for_reading`): then every change raises StoreReadOnly. One with a passphrase
        must be unlocked in this process first (fieldkit.store.vault.unlock); vault.Locked
        otherwise."""
        self.root = Path(root)
        #: the unlocked vault of a data dir with a passphrase; None: the data dir is plain
        self.vault = vault.unlocked(self.root)
        if self.vault is None and vault.is_encrypted(self.root):
            raise vault.Locked(f"数据目录 {self.root} 已加密，需要口令才能打开")
        if read_only and self.vault is not None and self.vault.converting:
            raise NeedsConversion(self.root)  # half-way encrypted: a writer finishes it
        self.forms: FormSet = load_forms(forms_dir(self.root), codes_used=CODES_USED)
        self.store = Store(
            store_dir(self.root),
            cipher=self.vault.store_cipher() if self.vault else None,
            allow_plain=bool(self.vault and self.vault.converting),
            read_only=read_only,
        )
        #: where the first release's files were backed up, if they were converted on opening
        self.converted_from: Path | None = None
        #: bytes of an unfinished last save dropped on opening (the program stopped during it)
        self.dropped_tail = self.store.dropped_tail
        self._today = today
        self._keys: keys.DeviceKeys | None = None
        try:
            if convert.needs_conversion(self.store):
                if read_only:
                    raise NeedsConversion(self.root)
                self.converted_from = convert.convert(self.root, self.store, _identity_from_old)
            if read_only:
                return
            if self.vault is not None:
                if self.vault.converting:
                    self._seal_plain_files()
                self._wrap_for_office()
            vault.secure_permissions(self.root)
        except BaseException:
            self.store.close()
            raise

    def close(self) -> None:
        self.store.close()

    def reload_forms(self) -> None:
        """Read the form definitions again (after the office's forms were installed)."""
        self.forms = load_forms(forms_dir(self.root), codes_used=CODES_USED)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- identity ---------------------------------------------------------------------------

    @property
    def identity(self) -> Identity | None:
        raw = self.store.get_meta(IDENTITY)
        return Identity(**raw) if raw else None

    @property
    def keys(self) -> keys.DeviceKeys:
        """This data dir's key pairs (read once)."""
        if self._keys is None:
            self._keys = keys.load(self.root)
        return self._keys

    def set_identity(
        self,
        *,
        worker: str,
        grid: str,
        org: str | None = None,
        abbr: str | None = None,
        office_key: devices.OfficeKey | None = None,
        role: str | None = None,
    ) -> Identity:
        """Write who records here, with this data dir's keys (made on first use) and its signed
        card; `office_key` makes this laptop trust that office and encrypt its exports to it.
        `org`, `abbr` and `role` left out keep what they were.

        If the keys were lost and made anew (a new device), this device's run starts again
        from 1, and the changes the old keys never sealed are made again under the new ones,
        so that they can still be sent (the office must trust the new fingerprint)."""
        if not worker.strip() or not grid.strip():
            raise FieldkitError("网格员姓名和所属网格都不能为空")
        for text, what in ((worker, "网格员姓名"), (grid, "网格"), (org or "", "单位")):
            if problem := devices.name_problem(text.strip(), what):
                raise FieldkitError(problem)
        grids.require(self.forms, grid.strip())
        old = self.identity
        self._keys = keys.load_or_create(self.root)
        office, office_box = (old.office, old.office_box) if old else (None, None)
        if office_key is not None:
            office, office_box = office_key.device, keys.b64(office_key.box_key)
        org = (old.org if old else "") if org is None else org.strip()
        abbr = (old.abbr if old else "") if abbr is None else abbr.strip()
        ident = Identity(
            worker=worker.strip(),
            grid=grid.strip(),
            org=org,
            abbr=abbr or org[:1] or grid.strip()[:1],
            device=self._keys.device,
            role=role or (old.role if old else "laptop"),
            office=office,
            office_box=office_box,
        )
        at = now_iso()
        card = devices.make_card(
            self._keys, worker=ident.worker, grid=ident.grid, org=ident.org, role=ident.role
        )
        with self.store.transaction() as tx:
            if old is not None and old.device != ident.device:
                self._start_new_run(tx, old.device, ident)
            tx.set_meta(IDENTITY, asdict(ident))
            tx.set_meta(convert.FORMAT, convert.CURRENT_FORMAT)
            devices.remember_card(tx, card, at, own=True)
            if office_key is not None and office_key.card is not None:
                devices.remember_card(tx, office_key.card, at)
                decision = devices.make_decision(
                    self._keys, office_key.card, devices.TRUSTED, None, at
                )
                tx.put(devices.TRUST, devices.trust_key(ident.device, office), decision)
        self._wrap_for_office()
        return ident

    def _start_new_run(self, tx: Transaction, old_device: str, ident: Identity) -> None:
        """New keys, a new device: its run starts at 1, its next export carries everything,
        and what the old device made but never sealed is made again by the new one."""
        sealed = tx.get_meta(SEALED, 0)
        unsealed = [
            doc
            for doc in self.store.all_documents()
            if doc.get("device") == old_device
            and doc.get("seq", 0) > sealed
            and any(h["version"] == doc["version"] for h in heads_of(self.store, doc["id"]))
        ]
        for key in (SEQ, SEALED, EXPORTED):
            tx.set_meta(key, 0)
        tx.set_meta(EVERYTHING_NEXT, True)
        again = ChangeSet(self.store, tx, author=ident.worker, device=ident.device)
        for head in unsealed:
            again.resolve([head], head["data"], head["deleted"])

    # -- the passphrase -------------------------------------------------------------------

    @property
    def encrypted(self) -> bool:
        return self.vault is not None

    def encrypt(self, passphrase: str) -> list[Path]:
        """Put this (plain) data dir under a passphrase: a new data key, the store rewritten
        encrypted, every other file holding personal data sealed, the plain copies gone.
        Crash-safe: until it is done the vault says "converting", and the next opening (with
        the passphrase) finishes it. Returns the files of exports/ (outputs: not encrypted)."""
        if self.vault is not None:
            raise FieldkitError(f"数据目录 {self.root} 已经设置了口令")
        self.vault = vault.create(self.root, passphrase, converting=True)
        self.store.encrypt(self.vault.store_cipher())
        self._seal_plain_files()
        self._wrap_for_office()
        vault.secure_permissions(self.root)
        exports = self.root / "exports"
        return sorted(p for p in exports.rglob("*") if p.is_file()) if exports.is_dir() else []

    def _seal_plain_files(self) -> None:
        """Seal what is still plain (keys, drafts, held copies, old store backups, the log's
        details), each file replaced atomically; then the vault refuses plain files."""
        v = self.vault
        assert v is not None
        jobs: list[tuple[Path, str, str]] = [
            (path, "key", path.name) for path in keys.private_key_files(self.root)
        ]
        if drafts_dir(self.root).is_dir():
            jobs += [(p, "draft", p.name) for p in drafts_dir(self.root).glob("*.json")]
        if held_dir(self.root).is_dir():
            jobs += [(p, "held", p.stem) for p in held_dir(self.root).iterdir() if p.is_file()]
        for backup in self.root.glob("store-backup-format1-*"):
            jobs += [(p, "backup", p.name) for p in backup.iterdir() if p.is_file()]
        for path, purpose, name in jobs:
            data = path.read_bytes()
            if not vault.is_sealed(data):
                durable.write_file(path, v.seal_file(purpose, name, data))
        errorlog.seal_plain_log(self.root)
        vault.mark_ready(v)

    def _wrap_for_office(self) -> None:
        """Let the office this laptop sends to recover it (fieldkit recover), and no other."""
        ident = self.identity
        if self.vault is not None and ident is not None:
            box = keys.unb64(ident.office_box, 32) if ident.office_box else None
            vault.set_office(self.vault, box)

    def require_identity(self) -> Identity:
        ident = self.identity
        if ident is None:
            raise FieldkitError(
                "尚未设置网格员信息。请先运行：fieldkit init --worker 姓名 --grid 网格"
            )
        return ident

    @contextmanager
    def changes(self) -> Iterator[ChangeSet]:
        """Make versions in one durable transaction, numbered in this device's run."""
        ident = self.require_identity()
        with self.store.transaction() as tx:
            yield ChangeSet(self.store, tx, author=ident.worker, device=ident.device)

    # -- checking ---------------------------------------------------------------------------

    def today(self) -> date:
        return self._today or date.today()

    def now(self) -> datetime:
        """The present moment (on the fixed day, if one was given), to the minute."""
        now = datetime.now().replace(second=0, microsecond=0)
        return datetime.combine(self._today, now.time()) if self._today else now

    def form(self, form_id: str) -> Form:
        form = self.forms.get(form_id)
        if form is None:
            names = "、".join(f"{f.id}（{f.label}）" for f in self.forms)
            raise FieldkitError(f"没有表单“{form_id}”。可用的表单：{names}")
        return form

    def context(self) -> Context:
        return Context(self.today(), self.resolve)

    def resolve(self, form_id: str, value: Any) -> dict | None:
        """A referenced record by its id or, for a form with a unique field, by that value."""
        key = str(value).strip()
        rec = self.store.get(key)
        if rec is not None and rec["form"] == form_id:
            return rec
        form = self.forms.get(form_id)
        if form and form.unique:
            if form.field(form.unique).type == "id_number":
                key = idnumber.normalise(key)
            hits = self.store.lookup(form_id, form.unique, key)
            return hits[0] if hits else None
        return None

    def duplicate_of(self, form_id: str, data: dict[str, Any], record_id: str | None = None):
        """Another live record with the same value in the form's unique field, if any."""
        form = self.form(form_id)
        value = data.get(form.unique) if form.unique else None
        if value is None:
            return None
        return next(
            (r for r in self.store.lookup(form_id, form.unique, value) if r["id"] != record_id),
            None,
        )

    def check(self, form_id: str, raw: dict[str, Any], *, record_id: str | None = None) -> Outcome:
        """Validate answers as the form says, plus the form's uniqueness rule."""
        form = self.form(form_id)
        outcome = validate(form, raw, self.context(), keep_unknown=record_id is not None)
        self._check_not_later(form, outcome)
        other = self.duplicate_of(form_id, outcome.data, record_id)
        if other is not None and not self._kept_value(form, record_id, outcome.data):
            f = form.field(form.unique)
            title = other["data"].get(form.title_field, "")
            outcome.errors.append(Problem(f.id, f.label, f"已登记（{title}），请打开已有记录"))
        if form.id == grids.REGISTRY and form.has(grids.FIELD):
            grid = outcome.data.get(grids.FIELD)
            if grid and (message := grids.problem(self.forms, str(grid))):
                f = form.field(grids.FIELD)
                outcome.errors.append(Problem(f.id, f.label, message))
        return outcome

    def _check_not_later(self, form: Form, outcome: Outcome) -> None:
        """A date and time that must not be in the future is not later than now either (the
        form checks only the day): a visit at 23:50 is refused at 11:45. A few minutes ahead
        are let through, for a laptop clock a little behind the worker's watch."""
        failed = {p.field for p in outcome.errors}
        limit = self.now() + NOW_GRACE
        for f in form.fields:
            value = outcome.data.get(f.id)
            if f.type != "datetime" or not f.not_future or not value or f.id in failed:
                continue
            try:
                moment = datetime.fromisoformat(str(value))
            except ValueError:
                continue
            if moment > limit:
                now = self.now().strftime("%H:%M")
                outcome.errors.append(Problem(f.id, f.label, f"不能晚于现在（{now}）"))

    def _kept_value(self, form: Form, record_id: str | None, data: dict[str, Any]) -> bool:
        """True when an edit leaves the unique value as it was.

        Two laptops may register the same person; after a sync both copies share the value
        until the office joins them, and neither copy must become uneditable meanwhile.
        """
        prev = self.store.get(record_id) if record_id else None
        return prev is not None and prev["data"].get(form.unique) == data.get(form.unique)

    # -- defaults ---------------------------------------------------------------------------

    def defaults(self, form_id: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """Values for the fields of `data` that are empty and have a default, in field order."""
        form = self.form(form_id)
        filled = _choice_codes(form, data or {})
        out: dict[str, Any] = {}
        for f in form.fields:
            if filled.get(f.id) not in (None, "", []):
                continue
            value = self.default_for(form, f, filled)
            if value not in (None, "", []):
                out[f.id] = filled[f.id] = value
        return out

    def default_for(self, form: Form, f: Field, data: dict[str, Any]) -> Any:
        """One field's default given the other answers (rule defaults depend on them)."""
        d = f.default
        if d == "today":
            return self.today().isoformat()
        if d == "now":
            return self.now().isoformat(timespec="minutes")
        if isinstance(d, dict) and "identity" in d:
            ident = self.identity
            return getattr(ident, d["identity"], None) if ident else None
        if isinstance(d, dict):
            return self._rule_default(d["rule"], data)
        return list(d) if isinstance(d, list) else d

    def _rule_default(self, rule: str, data: dict[str, Any]) -> Any:
        rules = self.forms.rules
        try:
            if rule == "supervision_end" and data.get("start_date"):
                start = date.fromisoformat(str(data["start_date"]))
                end = schedule.supervision_end(rules, data.get("category"), start)
                return end.isoformat() if end else None
            if rule == "next_visit":
                proposed, _ = casework.proposed_visit(self, data)
                return proposed.isoformat() if proposed else None
            if rule == "case_number":
                accepted = str(data.get("accepted") or self.today().isoformat())
                return casenumbers.next_number(self, accepted) or None
        except ValueError:
            return None  # an unparsable input date: no default until it is fixed
        return None

    # -- changes ----------------------------------------------------------------------------

    def prepare(self, form_id: str, raw: dict[str, Any]) -> dict[str, Any]:
        """The clean data of a new record from answers (defaults filled in), checked; raises
        ValidationFailed."""
        self.require_identity()
        form = self.form(form_id)
        answers = {**self.defaults(form_id, raw), **raw}
        outcome = self.check(form_id, answers)
        if not outcome.ok:
            raise ValidationFailed(form, outcome)
        return outcome.data

    def add(self, form_id: str, raw: dict[str, Any]) -> dict[str, Any]:
        """Validate and durably save one new record; return it. Raises ValidationFailed."""
        form = self.form(form_id)
        data = self.prepare(form_id, raw)
        with self.changes() as c:
            return c.add(form.id, form.version, data)

    def add_many(self, form_id: str, raws: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """All or nothing: every answer set must pass before any is saved.

        Raises BatchInvalid listing each failing item (by position) and its problems.
        """
        clean, failures = [], []
        seen: dict[Any, int] = {}
        form = self.form(form_id)
        for i, raw in enumerate(raws):
            try:
                data = self.prepare(form_id, raw)
            except ValidationFailed as exc:
                failures.append((i, exc.outcome.errors))
                continue
            key = data.get(form.unique) if form.unique else None
            if key is not None and key in seen:
                label = form.field(form.unique).label
                failures.append((i, [Problem(form.unique, label, f"与第{seen[key] + 1}条重复")]))
                continue
            if key is not None:
                seen[key] = i
            clean.append(data)
        if failures:
            raise BatchInvalid(failures)
        with self.changes() as c:
            return [c.add(form.id, form.version, data) for data in clean]

    def edit(self, record_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """A new version with `changes` applied (None clears a field); same checks as add.
        Returns the new version, or the current one when no value changes."""
        prev = self.get_live(record_id)
        form = self.form(prev["form"])
        unknown = [k for k in changes if not form.has(k)]
        if unknown:  # (fields a newer form version added are kept, not set here)
            names = "、".join(unknown)
            raise FieldkitError(f"“{form.label}”没有字段 {names}。运行 fieldkit forms 查看字段")
        answers = {**prev["data"], **changes}
        outcome = self.check(form.id, answers, record_id=record_id)
        if not outcome.ok:
            raise ValidationFailed(form, outcome)
        with self.changes() as c:
            rec = c.edit(record_id, outcome.data, form_version=form.version)
        return rec or prev

    def delete(self, record_id: str) -> dict[str, Any]:
        """A tombstone version: hidden everywhere, kept in history, and it syncs."""
        prev = self.get_live(record_id)
        with self.changes() as c:
            rec = c.edit(record_id, prev["data"], deleted=True)
        assert rec is not None  # a live record's tombstone always changes something
        return rec

    def get_live(self, record_id: str) -> dict[str, Any]:
        rec = self.store.get(record_id)
        if rec is None:
            raise FieldkitError(f"找不到记录 {record_id}")
        if rec.get("deleted"):
            raise FieldkitError(f"记录 {record_id} 已删除")
        return rec

    # -- reading ----------------------------------------------------------------------------

    def shown(self, form: Form, f: Field, record: dict[str, Any], *, masked: bool = True) -> str:
        """A record's value as lists and titles show it: `display`, except that a person's
        level is the effective one (`level_of`), the same everywhere."""
        persons = self.forms.person_form
        if persons is not None and form.id == persons.id and f.id == schedule.LEVEL:
            level = casework.level_of(self, record)
            return f.label_of(level, record["data"]) if level is not None else ""
        return self.display(form, f, record["data"], masked=masked)

    def display(self, form: Form, f: Field, data: dict[str, Any], *, masked: bool = True) -> str:
        """A stored value as a user reads it: labels for codes, masked ID numbers, person names."""
        value = data.get(f.id)
        if value in (None, "", []):
            return ""
        if f.is_choice:
            values = value if isinstance(value, list) else [value]
            return "、".join(f.label_of(v, data) for v in values)
        if f.type == "id_number":
            return idnumber.mask(value) if masked else str(value)
        if f.type == "reference":
            target = self.store.get(str(value))
            if target is None:
                return str(value)
            ref_form = self.forms[target["form"]]
            return str(target["data"].get(ref_form.title_field, value))
        if f.type == "datetime":
            return str(value).replace("T", " ")
        if f.type == "decimal":
            return f"{value:,.2f}"
        return str(value)

    # -- for the app: summaries and change descriptions --------------------------------------

    # The answers each computed default reads, so a form can refresh a proposal only when one
    # of them changes (and never overwrite what the user typed).
    RULE_INPUTS: ClassVar[dict[str, tuple[str, ...]]] = {
        "supervision_end": ("category", "start_date"),
        "next_visit": ("person", "date", schedule.ASSESSED_LEVEL),
        "case_number": ("accepted",),
    }

    def default_inputs(self, f: Field) -> tuple[str, ...]:
        """The fields a computed (rule) default depends on; () for a fixed default."""
        if isinstance(f.default, dict) and "rule" in f.default:
            return self.RULE_INPUTS.get(f.default["rule"], ())
        return ()

    def counts(self, year: int, month: int) -> dict[str, tuple[int, int]]:
        """Live records per form done in `month` of `year` and in the whole year: by the
        form's date (the day of the visit, of the event …), except that a register (a form
        with a unique field: persons) counts when a record was entered, since its date (纳入
        管理日期) can be years before the worker registered the person."""
        out: dict[str, tuple[int, int]] = {}
        year_prefix, month_prefix = f"{year:04d}", f"{year:04d}-{month:02d}"
        for form in self.forms:
            in_month = in_year = 0
            for r in self.store.current(form.id):
                day = str(r["created_at"])[:10] if form.unique else record_day(r, form.date_field)
                if day.startswith(year_prefix):
                    in_year += 1
                    if day.startswith(month_prefix):
                        in_month += 1
            out[form.id] = (in_month, in_year)
        return out

    def describe_changes(
        self, form: Form, old: dict[str, Any], new: dict[str, Any]
    ) -> list[tuple[str, str, str]]:
        """(label, before, after) for each field whose value differs, in form order; ID
        numbers masked. Fields of a newer form version are listed by their id."""
        out = []
        for f in form.fields:
            if old.get(f.id) != new.get(f.id):
                out.append((f.label, self.display(form, f, old), self.display(form, f, new)))
        known = {f.id for f in form.fields}
        for key in sorted((old.keys() | new.keys()) - known):
            if old.get(key) != new.get(key):
                out.append((key, _plain(old.get(key)), _plain(new.get(key))))
        return out


def _plain(value: Any) -> str:
    if value in (None, "", []):
        return ""
    return "、".join(map(str, value)) if isinstance(value, list) else str(value)


def _identity_from_old(
    old: dict[str, Any] | None, device_keys: keys.DeviceKeys, root: Path
) -> Identity | None:
    """The identity of a data dir written by the first release, with its new keys."""
    if old is None:
        return None
    office_box = None
    if old.get("office_key"):
        try:
            office_box = keys.b64(devices.parse_office_key(old["office_key"], "街道公钥").box_key)
        except FieldkitError:
            office_box = None
    return Identity(
        worker=old["worker"],
        grid=old["grid"],
        org=old.get("org", ""),
        abbr=old.get("abbr", ""),
        device=device_keys.device,
        role="office" if keys.legacy_box_keys(root) else "laptop",
        office_box=office_box,
    )


class NeedsConversion(FieldkitError):
    """A data dir of the first release must be converted (by a writer) before it is read."""

    def __init__(self, root: Path):
        super().__init__(f"数据目录 {root} 是旧版格式，需要先打开程序转换一次")


def open_for_reading(root: Path, *, today: date | None = None) -> Workspace:
    """A data dir opened to read only (reports, ledgers, lists): no lock, nothing written, so
    it works while the app has the data dir open, and on read-only media.

    A data dir of the first release is converted first, which needs the writer's lock (the
    app converts on opening, so when the app holds the data dir it is converted already).
    """
    if not Path(root).is_dir():  # a mistyped --data-dir is not an empty one
        raise FieldkitError(f"数据目录不存在：{root}（路径写错了？新电脑请先运行 fieldkit init）")
    try:
        return Workspace(root, today=today, read_only=True)
    except NeedsConversion:
        Workspace(root, today=today).close()
        return Workspace(root, today=today, read_only=True)


class BatchInvalid(FieldkitError):
    """Some items of a batch failed; nothing was saved. `failures` = [(index, problems)]."""

    def __init__(self, failures: list[tuple[int, list[Problem]]]):
        self.failures = failures
        lines = [f"第{i + 1}条：" + "；".join(str(p) for p in probs) for i, probs in failures]
        super().__init__("\n".join(lines))


def _choice_codes(form: Form, data: dict[str, Any]) -> dict[str, Any]:
    """Answers with choice labels turned into codes (leniently: unknown values stay)."""
    out = dict(data)
    for f in form.fields:
        value = out.get(f.id)
        if f.is_choice and isinstance(value, str):
            out[f.id] = next((c.code for c in f.all_choices() if value in (c.code, c.label)), value)
    return out
