"""Made with fieldkit at commit b8b40db (the first release's record model):
an office that imported two laptops' files with a revert, a conflict, a join and a rejected record."""
import sys
from datetime import date
from pathlib import Path
from fieldkit import demo, keys, review
from fieldkit.export import export
from fieldkit.merge import import_files
from fieldkit.workspace import Workspace
from fieldkit.records import new_record
out = Path(sys.argv[1])
TODAY = date(2026, 11, 20)
office = Workspace(out / "office", today=TODAY)
office.set_identity(worker="街道管理员", grid="街道", org="东城街道办事处", abbr="东")
pair = keys.generate(out / "office", out / "pub")
a = Workspace(out / "laptop", today=TODAY)
a.set_identity(worker="李娜", grid="第一网格", org="东城街道办事处", abbr="东")
b = Workspace(out / "laptop2", today=TODAY)
b.set_identity(worker="王强", grid="第二网格", org="东城街道办事处", abbr="东")
demo.fill(a, year=2026, seed=1, records=120)
m = a.add("meeting", {"date": "2026-05-01", "kind": "lecture", "title": "宪法讲座", "participants": 30})
a.edit(m["id"], {"participants": 31}); a.edit(m["id"], {"participants": 30}); a.edit(m["id"], {"participants": 31})
p1 = export(a, out / "usb").path
import_files(office, [p1])
plain = export(b, out / "usb").path
person = next(p for p in a.store.current("person"))
import_files(b, [export(a, out / "usb", everything=True).path])
a.edit(person["id"], {"phone": "13800138000"})
b.edit(person["id"], {"phone": "13900139000"})
dup = {k: v for k, v in person["data"].items() if k not in ("grid", "end_date", "phone")}
import_files(office, [export(a, out / "usb").path, export(b, out / "usb").path])
bad = new_record("meeting", 1, {"date": "2026/05/01", "kind": "party"}, author="某人", device="x")
from fieldkit import bundle
data, _ = bundle.build([bad], device="x", worker="某人", grid="第九网格", org="", forms={"meeting": 1}, complete=False, office_key=None, created_at="2026-11-20T10:00:00+08:00")
(out / "usb" / "bad.fkb").write_bytes(data)
import_files(office, [out / "usb" / "bad.fkb"])
print("conflicts", len(review.conflicts(office)), "rejected", len(review.rejected(office)))
for ws in (office, a, b): ws.close()
