"""Names, phone numbers, addresses and ID numbers of the demo's people."""

from __future__ import annotations

from datetime import date, timedelta

from fieldkit.demo import tables as T
from fieldkit.demo.year import DemoYear, Weighted
from fieldkit.forms import idnumber

# Seeds that differ modulo this number never share an ID number (see Names.id_number).
SEED_SPACES = 50
COMPOUND_SURNAMES = ("欧阳", "司马", "上官")


class Names:
    def __init__(self, y: DemoYear):
        self.rng = y.rng
        self.surname = Weighted(y.rng, T.SURNAMES)
        self.region = Weighted(y.rng, T.REGIONS)
        self.seq_space = y.seed % SEED_SPACES
        self.community = T.COMMUNITIES[(y.seed - 1) % len(T.COMMUNITIES)]
        self.id_numbers: set[str] = set()

    def name(self, gender: str | None = None) -> tuple[str, str]:
        """A plausible name and its gender."""
        rng = self.rng
        gender = gender or ("男" if rng.random() < 0.5 else "女")
        single, first, second = T.GIVEN[gender]
        if rng.random() < 0.25:
            given = rng.choice(single)
        else:
            given = rng.choice(first) + rng.choice(second)
            while given[0] == given[1]:
                given = given[0] + rng.choice(second)
        return self.surname() + given, gender

    def some(self, n: int) -> list[str]:
        """`n` names (the same few colleagues who appear again and again through the year)."""
        return [self.name()[0] for _ in range(n)]

    def phone(self) -> str:
        return self.rng.choice(T.PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def address(self) -> str:
        rng = self.rng
        floors = rng.choice((6, 7, 11, 18, 26, 33))
        room = f"{rng.randint(1, floors)}{rng.randint(1, 4):02d}"
        estate = rng.choice(T.ESTATES) if rng.random() < 0.3 else ""
        return f"{self.community}{estate}{rng.randint(1, 36)}栋{rng.randint(1, 4)}单元{room}"

    def id_number(self, gender: str, born: date) -> str:
        """A valid ID number; the sequence digits carry the seed, so seeds never collide."""
        rng = self.rng
        while True:
            seq = 2 * (SEED_SPACES * rng.randrange(10) + self.seq_space) + (gender == "男")
            if seq == 0:
                continue
            first17 = f"{self.region()}{born:%Y%m%d}{seq:03d}"
            value = first17 + idnumber.check_char(first17)
            if value not in self.id_numbers:
                self.id_numbers.add(value)
                return value
            born += timedelta(days=rng.randint(-200, 200))  # crowded: try a nearby birthday

    def relative(self, name: str, relation: str, gender: str) -> str:
        """A relative's name: a parent, child or sibling has the person's surname."""
        other, _ = self.name(gender)
        if relation not in ("父亲", "儿子", "女儿", "哥哥", "姐姐"):
            return other
        surname = name[:2] if name[:2] in COMPOUND_SURNAMES else name[0]
        given = other[2:] if other[:2] in COMPOUND_SURNAMES else other[1:]
        return surname + given
