"""Is the person being added already known? The duplicate check behind "Add a client".

A record matches when it holds
- the same NHS number or National Insurance number, compared exactly after removing
  spaces and hyphens and ignoring case; or
- the same date of birth and a close name: compared without case or accents, with common
  nicknames read as the full name (Bill = William), in either order (a first and last
  name transposed on a form), scored by rapidfuzz's token-sort ratio against
  `settings.DUPLICATE_NAME_SCORE` (0-100); or the same first name (nicknames read the
  same way) and a surname spelt a little differently (Gill Davis = Gillian Davies, Smith =
  Smyth), the surnames scored by Jaro-Winkler similarity, the measure made for matching
  surnames in census record linkage, against the same threshold; or
- a close name (as above) with the day and month of birth swapped (10/03/1995 and
  03/10/1995: UK and US order); or
- the same name (any case, nicknames, order transposed) where the date of birth is not
  known on one side (common in outreach): a known, different date of birth is a different
  person.

Candidates come from one indexed query — the date of birth index, and expression indexes
on the normalised NHS and NI numbers and on the lower-case name (see `Client.Meta.indexes`) — so the check costs
what one date of birth holds (a handful of people in 100,000), never a scan; only those
few are scored in Python. Records merged into another are not candidates: the surviving
record is.

The result shows no more than "Find a client" does: name, year of birth, team and key
worker. Which clients a person may *open* is still the gate's decision.
"""

from __future__ import annotations

import datetime
import itertools
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Func, Prefetch, Q
from django.db.models.functions import Lower
from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

from .models import Assignment, Client, identifier_key_expression

# Common English nicknames and short forms, each read as the full name. Small on purpose:
# the check suggests, a person decides.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "abigail": ("abby", "abbie", "abi"),
    "alexander": ("alex", "alec", "sandy", "xander"),
    "alexandra": ("alex", "lexi", "sandra", "sasha"),
    "alfred": ("alf", "alfie"),
    "amanda": ("mandy", "manda"),
    "andrew": ("andy", "drew"),
    "anthony": ("tony", "ant"),
    "barbara": ("barb", "babs"),
    "benjamin": ("ben", "benny", "benji"),
    "bernard": ("bernie",),
    "caroline": ("carol", "carrie", "caz"),
    "catherine": ("cath", "cathy", "kate", "katie", "kat", "katherine", "kathryn", "kathy"),
    "charles": ("charlie", "chas", "chuck"),
    "christine": ("chris", "chrissie", "tina"),
    "christopher": ("chris", "kit"),
    "daniel": ("dan", "danny"),
    "david": ("dave", "davey"),
    "deborah": ("debbie", "debs", "deb"),
    "donald": ("don", "donny"),
    "dorothy": ("dot", "dotty", "dottie"),
    "douglas": ("doug", "dougie"),
    "edward": ("ed", "eddie", "ted", "ned"),
    "eleanor": ("ellie", "nell", "nora"),
    "elizabeth": ("liz", "lizzie", "beth", "betty", "eliza", "libby"),
    "frances": ("fran", "frankie"),
    "francis": ("frank", "fran"),
    "frederick": ("fred", "freddie"),
    "gerald": ("gerry", "ged"),
    "gillian": ("gill", "gilly", "jill", "jillian"),
    "gregory": ("greg",),
    "harold": ("harry", "hal"),
    "henry": ("harry", "hal", "hank"),
    "isabel": ("izzy", "bella", "isabelle", "isobel"),
    "jacob": ("jake",),
    "jacqueline": ("jackie", "jacqui", "jacky"),
    "james": ("jim", "jimmy", "jamie"),
    "jennifer": ("jen", "jenny"),
    "jessica": ("jess", "jessie"),
    "joanne": ("jo", "joanna", "jojo"),
    "john": ("jack", "johnny", "jon"),
    "jonathan": ("jonny", "jon"),
    "joseph": ("joe", "joey"),
    "josephine": ("jo", "josie"),
    "judith": ("judy", "jude"),
    "kenneth": ("ken", "kenny"),
    "lawrence": ("laurie", "larry", "laurence"),
    "leonard": ("len", "lenny", "leo"),
    "louise": ("lou", "lulu"),
    "margaret": ("maggie", "meg", "peggy", "marge"),
    "mary": ("molly", "polly", "mae"),
    "matthew": ("matt", "matty"),
    "michael": ("mike", "mick", "micky", "mikey"),
    "natalie": ("nat", "tally"),
    "nathaniel": ("nat", "nate", "nathan"),
    "nicholas": ("nick", "nicky"),
    "nicola": ("nicky", "nic", "nikki"),
    "pamela": ("pam", "pammy"),
    "patricia": ("pat", "patty", "tricia", "trish"),
    "patrick": ("paddy", "pat"),
    "penelope": ("penny", "pen"),
    "peter": ("pete",),
    "philip": ("phil", "pip", "phillip"),
    "raymond": ("ray",),
    "rebecca": ("becky", "becca"),
    "richard": ("rich", "rick", "ricky", "dick"),
    "robert": ("rob", "robbie", "bob", "bobby", "bert"),
    "ronald": ("ron", "ronnie"),
    "rosemary": ("rose", "rosie"),
    "samuel": ("sam", "sammy"),
    "samantha": ("sam", "sammy"),
    "sarah": ("sal", "sally", "sara"),
    "stephanie": ("steph", "stef"),
    "stephen": ("steve", "stevie", "steven"),
    "stuart": ("stu", "stewart"),
    "susan": ("sue", "susie", "suzy"),
    "terence": ("terry", "tel"),
    "theresa": ("tess", "tessa", "terri", "teresa"),
    "thomas": ("tom", "tommy"),
    "timothy": ("tim", "timmy"),
    "valerie": ("val",),
    "victoria": ("vicky", "vikki", "tori"),
    "vincent": ("vince", "vinny"),
    "walter": ("wally", "walt"),
    "william": ("will", "bill", "billy", "willie", "liam"),
    "zachary": ("zach", "zac", "zack"),
    # Common UK diminutives.
    "oliver": ("olly", "ollie", "ol"),
    "olivia": ("liv", "livvy", "livia", "ollie"),
    "alan": ("al",),
    "archibald": ("archie", "baldie"),
    "bethany": ("beth",),
    "callum": ("cal",),
    "charlotte": ("charlie", "lottie", "lotte", "char"),
    "christian": ("chris",),
    "connor": ("con",),
    "declan": ("dec",),
    "dominic": ("dom",),
    "emily": ("em", "emmy", "millie"),
    "emma": ("em", "emmy"),
    "eugene": ("gene",),
    "gareth": ("gaz", "gary"),
    "georgina": ("georgie", "gina"),
    "george": ("georgie",),
    "gordon": ("gordy",),
    "graham": ("gray",),
    "hannah": ("han",),
    "jeremy": ("jez", "jerry"),
    "jessamine": ("jess",),
    "joshua": ("josh",),
    "kathleen": ("kath", "kathy", "kay"),
    "kimberley": ("kim",),
    "lucy": ("luce",),
    "luke": ("lukey",),
    "malcolm": ("mal",),
    "marcus": ("marc",),
    "martin": ("marty",),
    "maureen": ("mo",),
    "melanie": ("mel",),
    "melissa": ("mel", "missy"),
    "mohammed": ("mo", "mohammad", "muhammad", "mohamed"),
    "nathan": ("nat", "nate"),
    "nigel": ("nige",),
    "rachel": ("rach",),
    "reginald": ("reg", "reggie"),
    "roger": ("rodge",),
    "sebastian": ("seb", "bastian"),
    "shannon": ("shan",),
    "sharon": ("shaz",),
    "sophie": ("soph",),
    "sophia": ("soph",),
    "stanley": ("stan",),
    "tobias": ("toby",),
    "trevor": ("trev",),
    "vanessa": ("ness", "nessa"),
    "warren": ("wazza", "waz"),
    "wayne": ("wazza",),
}

# Each nickname (and each full name) maps to every full name it may stand for.
_FULL_NAMES: dict[str, frozenset[str]] = {}
for _full, _shorts in NICKNAMES.items():
    for _name in (_full, *_shorts):
        _FULL_NAMES[_name] = _FULL_NAMES.get(_name, frozenset()) | {_full}

_NOT_LETTERS = re.compile(r"[^a-z\s]+")
# A name of many nickname-like words is read at most this many ways.
MAX_READINGS = 32


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation as spaces: "  O'Brien-Zoë" -> "o brien zoe"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    plain = plain.replace("ß", "ss").replace("ø", "o").replace("ł", "l").replace("æ", "ae").replace("œ", "oe")
    return " ".join(_NOT_LETTERS.sub(" ", plain).split())


def _token_readings(token: str) -> frozenset[str]:
    return _FULL_NAMES.get(token, frozenset()) | {token}


def identifier_key(value: str) -> str:
    """An NHS or NI number as compared: no spaces or hyphens, upper case ("" when blank)."""
    return re.sub(r"[\s-]+", "", value or "").upper()


def nhs_number_key() -> Func:
    """The NHS number as compared, in SQL: the expression `Client.Meta` indexes."""
    return identifier_key_expression("nhs_number")


def ni_number_key() -> Func:
    """The National Insurance number as compared, in SQL: the expression `Client.Meta` indexes."""
    return identifier_key_expression("national_insurance_number")


def _readings(name: str) -> list[str]:
    """Every way to read a name, nicknames expanded: "Bill Smith" -> ["bill smith", "william smith"]."""
    options = [sorted(_token_readings(token)) for token in fold(name).split()]
    return [" ".join(choice) for choice in itertools.islice(itertools.product(*options), MAX_READINGS)]


def surname_score(last: str, other_last: str) -> float:
    """How alike two surnames are, 0-100, ignoring case, accents and punctuation: Jaro-Winkler
    similarity (Davis and Davies 97, Smith and Smyth 89, Smith and Smart 79). 0 when either is blank."""
    ours, theirs = fold(last).replace(" ", ""), fold(other_last).replace(" ", "")
    if not ours or not theirs:
        return 0.0
    return JaroWinkler.normalized_similarity(ours, theirs) * 100


def _same_first_name(first: str, other_first: str) -> bool:
    """The same first name once nicknames are read as full names (Gill = Gillian)."""
    return bool(set(_readings(first)) & set(_readings(other_first)))


def name_score(first: str, last: str, other_first: str, other_last: str) -> float:
    """How alike two names are, 0-100, ignoring case, accents, nicknames and order.

    The best of: the token-sort ratio (order-blind) over every reading of each name, a
    nickname being read as itself or as the full name it stands for; and, where the first
    names are the same (nicknames read the same way, in either order), `surname_score`.
    """
    ours, theirs = _readings(f"{first} {last}"), _readings(f"{other_first} {other_last}")
    if not ours or not theirs:
        return 0.0
    whole = max(fuzz.token_sort_ratio(a, b) for a in ours for b in theirs)
    surnames = max(
        (
            surname_score(last, theirs_last)
            for theirs_first, theirs_last in ((other_first, other_last), (other_last, other_first))
            if _same_first_name(first, theirs_first)
        ),
        default=0.0,
    )
    return max(whole, surnames)


@dataclass
class PossibleMatch:
    """One record that may be the same person, with only what "Find a client" shows."""

    client: Client
    why: str  # "same NHS number", "same National Insurance number", "similar name, same date of birth"

    @property
    def name(self) -> str:
        return self.client.display_name

    @property
    def year_of_birth(self) -> int | None:
        return self.client.date_of_birth.year if self.client.date_of_birth else None

    @property
    def team(self):
        return self.client.team

    @property
    def key_worker(self):
        assignments = getattr(self.client, "key_worker_assignments", None) or []
        return assignments[0].caseworker if assignments else None


def swapped_day_and_month(born: datetime.date | None) -> datetime.date | None:
    """The date with day and month exchanged (10/03/1995 -> 03/10/1995): a slip between UK and
    US order. None when there is no date, when day and month are equal or the day is above 12."""
    if born is None or born.day > 12 or born.day == born.month:
        return None
    return born.replace(month=born.day, day=born.month)


def _first_name_keys(name: str) -> set[str]:
    """The lower-case first names a typed first name may be stored as: itself, the full name
    it shortens and that name's other short forms (Olly -> olly, oliver, ollie, ol)."""
    keys = set()
    for token in fold(name).split()[:1]:
        for full in _token_readings(token):
            keys |= {full, *NICKNAMES.get(full, ())}
    stripped = (name or "").strip().lower()
    if stripped:
        keys.add(stripped)
    return keys


def _same_name_condition(first_name: str, last_name: str) -> Q:
    """Records whose surname is the typed one (or the typed first name: order transposed), in
    any case, and whose first name is a reading of the other: two index lookups on the
    `client_name_key` expression index, bounded by how many people share one name."""
    condition = Q()
    for surname, given in ((last_name, first_name), (first_name, last_name)):
        surname = (surname or "").strip().lower()
        keys = _first_name_keys(given)
        if surname and keys:
            condition |= Q(last_key=surname, first_key__in=sorted(keys))
    return condition


def candidate_query(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: datetime.date | None = None,
    nhs_number: str = "",
    national_insurance_number: str = "",
):
    """The clients worth scoring, as one queryset over four indexes (date of birth, NHS key,
    NI key, name key): the date of birth or its day-month swap, either identifier, or the same
    surname and first name (any case, nicknames, order transposed). None when nothing was typed.
    """
    nhs, ni = identifier_key(nhs_number), identifier_key(national_insurance_number)
    swapped = swapped_day_and_month(date_of_birth)
    births = [born for born in (date_of_birth, swapped) if born]
    condition = _same_name_condition(first_name, last_name)
    if births:
        condition |= Q(date_of_birth__in=births)
    if nhs:
        condition |= Q(nhs_key=nhs)
    if ni:
        condition |= Q(ni_key=ni)
    if not condition:
        return None
    return Client.objects.annotate(
        nhs_key=nhs_number_key(),
        ni_key=ni_number_key(),
        last_key=Lower("last_name"),
        first_key=Lower("first_name"),
    ).filter(condition, merged_into__isnull=True)


def possible_duplicates(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: datetime.date | None = None,
    nhs_number: str = "",
    national_insurance_number: str = "",
    exclude_ids: tuple[int, ...] = (),
) -> list[PossibleMatch]:
    """Records across the organisation that may be this person, most certain first.

    Takes the details typed on "Add a client" (dates are calendar dates). Returns
    `PossibleMatch`es: identifier matches first, then, by score, a close name with the same
    date of birth, with day and month swapped, and the same name where either date of birth
    is unknown. Two queries: the candidates (`candidate_query`), and their key workers.
    Raises nothing; blank details match nothing.
    """
    nhs, ni = identifier_key(nhs_number), identifier_key(national_insurance_number)
    swapped = swapped_day_and_month(date_of_birth)
    candidates = candidate_query(
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        nhs_number=nhs_number,
        national_insurance_number=national_insurance_number,
    )
    if candidates is None:
        return []
    candidates = (
        candidates.exclude(pk__in=exclude_ids)
        .select_related("team")
        .only(
            "id",
            "reference",
            "first_name",
            "last_name",
            "preferred_name",
            "date_of_birth",
            "nhs_number",
            "national_insurance_number",
            "status",
            "team__name",
        )
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.filter(ended_on__isnull=True, is_key_worker=True).select_related(
                    "caseworker"
                ),
                to_attr="key_worker_assignments",
            )
        )
    )
    threshold = settings.DUPLICATE_NAME_SCORE
    ranked: list[tuple[int, float, PossibleMatch]] = []
    for client in candidates:
        if nhs and identifier_key(client.nhs_number) == nhs:
            ranked.append((0, 100.0, PossibleMatch(client, "same NHS number")))
            continue
        if ni and identifier_key(client.national_insurance_number) == ni:
            ranked.append((0, 100.0, PossibleMatch(client, "same National Insurance number")))
            continue
        score = max(
            name_score(first_name, last_name, client.first_name, client.last_name),
            name_score(first_name, last_name, client.preferred_name, client.last_name) if client.preferred_name else 0,
        )
        if score < threshold:
            continue
        if date_of_birth and client.date_of_birth == date_of_birth:
            ranked.append((1, score, PossibleMatch(client, "similar name, same date of birth")))
        elif swapped and client.date_of_birth == swapped:
            ranked.append((2, score, PossibleMatch(client, "similar name, day and month of birth swapped")))
        elif not date_of_birth or client.date_of_birth is None:
            # An unknown date of birth (common in outreach) on either side: the same name
            # is enough to ask; a known, different date of birth is a different person.
            ranked.append((3, score, PossibleMatch(client, "same name, date of birth not recorded")))
    ranked.sort(key=lambda item: (item[0], -item[1], item[2].client.pk))
    return [match for _, _, match in ranked]
