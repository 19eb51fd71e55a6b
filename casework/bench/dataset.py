"""Build the benchmark dataset: years of casework, loaded with PostgreSQL COPY.

The small tables (teams, staff, partners, agreements) go in with bulk_create; everything
that grows with time — clients, their permission rows, assignments, information, notes,
consents, referrals with their disclosures, breaches with their alerts, and the audit log —
is streamed with COPY, ids assigned here so foreign keys need no round trip. Sequences are
reset afterwards, the audit log is sealed (all but the tail the benchmark seals itself),
and the tables are VACUUM ANALYZEd so the planner sees what a long-lived database has.

The shape follows a real service: most cases are closed (history), a fifth are open and on
one caseworker's caseload each; most breaches are long decided, a few have a running clock
with every alert due so far already raised and e-mailed. One open client ("the focus
client") on one caseworker's caseload is what the pages are measured on.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from access.audit import BATCH_SIZE, seal_audit
from access.models import AccessEvent
from accounts.models import ROLE_GROUP_NAMES, Role, Team, TeamMembership, User
from breaches.clock import CLOCK_STARTED_HOURS, alert_due_at, alert_thresholds, threshold_label
from breaches.deadlines import CLOCK as BREACH_CLOCK
from breaches.deadlines import threshold_key
from breaches.models import BreachReport, Status
from clients.categories import CATEGORIES, Level, Selection
from clients.models import Alert as ClientAlert
from clients.models import (
    Assignment,
    CaseNote,
    Client,
    ClientGroupObjectPermission,
    ClientUserObjectPermission,
    InformationEntry,
    TimelineEvent,
)
from clients.services import manager_group
from consent.models import ConsentRecord, Partner, PrivacyNotice, Purpose
from deadlines.models import Alert
from rights.calendar import response_due
from rights.models import SubjectAccessRequest
from sharing.models import DataSharingAgreement, Disclosure, PurposeTemplate, Referral
from sharing.snapshot import canonical

SEED = 20260508
OPEN_FRACTION = 0.2
ENTRIES_PER_CLIENT = 3
NOTES_PER_CLIENT = 2
ALERTING_FRACTION = 0.05
YEARS = 5
# A quarter of the closed cases closed more than RETENTION_YEARS ago: a fifth of all clients
# past a retention period of six years from closure.
RETENTION_YEARS = 6
PAST_RETENTION_OF_CLOSED = 0.25
ALL_KEYS = [category.key for category in CATEGORIES]
# The 12-category selection the share decision is measured with: everything but risk to staff.
SHARE_KEYS = ALL_KEYS[:12]
SENSITIVE_KEYS = [category.key for category in CATEGORIES if category.sensitive]

FIRST_NAMES = [
    "Aisha",
    "Ben",
    "Callum",
    "Dana",
    "Eilidh",
    "Farah",
    "George",
    "Hana",
    "Imran",
    "Jade",
    "Kieran",
    "Leah",
    "Mohammed",
    "Niamh",
    "Owen",
    "Priya",
    "Quinn",
    "Rhys",
    "Sana",
    "Tom",
    "Uma",
    "Vikram",
    "Wendy",
    "Yusuf",
    "Zoe",
    "Amir",
    "Bethany",
    "Conor",
    "Deborah",
    "Elijah",
    "Fatima",
    "Gareth",
    "Holly",
    "Isaac",
    "Jasmine",
    "Kwame",
    "Lucy",
    "Mark",
    "Nadia",
    "Oliver",
]
LAST_NAMES = [
    "Ahmed",
    "Baker",
    "Campbell",
    "Davies",
    "Evans",
    "Fraser",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morgan",
    "Nowak",
    "O'Brien",
    "Patel",
    "Quigley",
    "Roberts",
    "Smith",
    "Taylor",
    "Usman",
    "Vaughan",
    "Walker",
    "Young",
    "Zielinski",
    "Begum",
    "Clarke",
    "Doyle",
    "Edwards",
    "Foster",
    "Griffiths",
    "Hall",
    "Irving",
    "Jackson",
    "Kelly",
    "Lloyd",
    "Murphy",
    "Nelson",
    "Owens",
    "Price",
]


@dataclass
class Sizes:
    clients: int = 100_000
    staff: int = 300
    teams: int = 20
    audit_events: int = 2_000_000
    consents: int = 50_000
    referrals: int = 20_000
    breaches: int = 20_000
    alerts: int = 10_000
    agreements: int = 2_000
    sars: int = 5_000
    # What the measurements themselves add: rows imported, clients anonymised.
    import_rows: int = 10_000
    anonymise: int = 1_000
    # The subject access client: notes, disclosures and audit rows about them. Not scaled:
    # it is one client's record, whatever the size of the organisation.
    sar_notes: int = 2_000
    sar_disclosures: int = 200
    sar_access: int = 5_000

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            clients=1_000,
            staff=30,
            teams=4,
            audit_events=20_000,
            consents=500,
            referrals=200,
            breaches=200,
            alerts=100,
            agreements=20,
            sars=50,
            import_rows=20,
            anonymise=4,
            sar_notes=40,
            sar_disclosures=5,
            sar_access=100,
        )

    def scaled(self, factor: float) -> Sizes:
        """Every size that grows with time multiplied by `factor`; staff, teams and the
        subject access client stay."""
        grow = (
            "clients",
            "audit_events",
            "consents",
            "referrals",
            "breaches",
            "alerts",
            "agreements",
            "sars",
            "import_rows",
            "anonymise",
        )
        values = {
            name: max(1, round(value * factor)) if name in grow else value for name, value in asdict(self).items()
        }
        return Sizes(**values)


@dataclass
class Focus:
    """The people and records the measurements use."""

    caseworker: User
    manager: User
    client: Client
    partner: Partner
    purpose: Purpose
    selection: Selection
    reasons: dict[str, str]
    # The open client with a long story (2,000 notes, 200 disclosures, 5,000 audit rows),
    # on the same caseworker's caseload: the timeline and the subject access pack.
    sar_client: Client
    # An information security officer: subject access packs, retention, reports.
    iso: User


# "Add a client" with these details finds the records planted by Builder._clients.
DUPLICATE_CANDIDATE = {
    "first_name": "William",
    "last_name": "Fairweather",
    "date_of_birth": datetime(1984, 3, 14).date(),
    "nhs_number": "943 476 5919",
}
# (first, last, same date of birth?, same NHS number?) of the planted records: the first
# three are near the candidate's name, the last three differ in name, date or both.
PLANTED = [
    ("Bill", "Fairweather", True, False),
    ("Fairweather", "William", True, False),
    ("Wiliam", "Fairweathr", True, False),
    ("William", "Fairweather", False, False),
    ("Jane", "Fairweather", True, False),
    ("Ruth", "Okafor", False, True),
]


@dataclass
class Built:
    sizes: Sizes
    focus: Focus
    counts: dict[str, int] = field(default_factory=dict)


# --- COPY --------------------------------------------------------------------------------


def _json(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def _default_columns(model: type[models.Model], given: list[str]) -> tuple[list[str], tuple]:
    """Columns not in `given` and the constant value each gets (its field default)."""
    names, values = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.generated or f.name in given or f.attname in given:
            continue  # (a generated column, such as the deadline sweep's "stale" flag, is computed by the database)
        value = f.get_default()
        if value is None and not f.null:
            raise ValueError(f"{model._meta.label}.{f.name} needs a value in the benchmark dataset")
        if isinstance(value, dict | list):
            value = _json(value)
        names.append(f.attname)
        values.append(value)
    return names, tuple(values)


def copy_rows(model: type[models.Model], fields: list[str], rows) -> int:
    """Stream `rows` (tuples in `fields` order, id first) into the model's table with COPY."""
    meta = model._meta
    extra_names, extra_values = _default_columns(model, fields)
    qn = connection.ops.quote_name
    columns = [meta.get_field(name).column for name in fields] + [meta.get_field(n).column for n in extra_names]
    if connection.vendor != "postgresql":
        return _insert_rows(meta.db_table, columns, (row + extra_values for row in rows))
    sql = f"COPY {qn(meta.db_table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row + extra_values)
            count += 1
    return count


def _sqlite_value(value):
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value


def _insert_rows(table: str, columns: list[str], rows, chunk: int = 2000) -> int:
    """The embedded benchmark's stand-in for COPY (SQLite): executemany in chunks."""
    qn = connection.ops.quote_name
    names, marks = ", ".join(qn(c) for c in columns), ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {qn(table)} ({names}) VALUES ({marks})"  # noqa: S608 (our own table and column names)
    count, batch = 0, []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(tuple(_sqlite_value(v) for v in row))
            if len(batch) == chunk:
                cursor.executemany(sql, batch)
                count, batch = count + len(batch), []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _morning(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


def _next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1


def _reset_sequences(models_: list[type[models.Model]]) -> None:
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models_):
            cursor.execute(sql)


# --- The build -----------------------------------------------------------------------------


class Builder:
    def __init__(self, sizes: Sizes, *, stdout=None, seal_tail: int = 100_000):
        self.sizes = sizes
        self.stdout = stdout
        self.seal_tail = seal_tail
        self.rng = random.Random(SEED)
        self.now = timezone.now().astimezone(UTC).replace(microsecond=0)
        self.counts: dict[str, int] = {}

    def say(self, text: str) -> None:
        if self.stdout is not None:
            self.stdout.write(text)
            self.stdout.flush()

    def build(self) -> Built:
        if Client.objects.exists():
            raise RuntimeError("The benchmark builds its own data: run it on an empty database.")
        with transaction.atomic():
            self.timeline = []  # (client, at, kind, categories, summary, actor, object id)
            self._staff()
            self._sharing_setup()
            self._clients()
            self._consents()
            self._referrals()
            self._client_alerts()
            self._timeline()
            self._sars()
            self._breaches()
            self._events()
            _reset_sequences(
                [
                    Client,
                    ClientGroupObjectPermission,
                    ClientUserObjectPermission,
                    Assignment,
                    InformationEntry,
                    CaseNote,
                    ConsentRecord,
                    ConsentRecord.partners.through,
                    ConsentRecord.purposes.through,
                    Disclosure,
                    Referral,
                    BreachReport,
                    Alert,
                    AccessEvent,
                    ClientAlert,
                    TimelineEvent,
                    SubjectAccessRequest,
                ]
            )
            focus = self._focus()
        self._seal()
        self.say("VACUUM ANALYZE …")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        return Built(sizes=self.sizes, focus=focus, counts=dict(self.counts))

    # Staff and teams: a few hundred rows, through the ORM in bulk.

    def _staff(self) -> None:
        sizes = self.sizes
        self.say(f"Teams and staff: {sizes.teams} teams, {sizes.staff} staff …")
        teams = Team.objects.bulk_create(
            Team(name=f"Bench team {n:02d}", slug=f"bench-team-{n:02d}") for n in range(1, sizes.teams + 1)
        )
        password = make_password(None)  # unusable: the benchmark signs people in with force_login
        specials = max(2, sizes.staff // 60)  # information security officers and admins
        roles = [Role.SERVICE_MANAGER] * sizes.teams + [Role.INFORMATION_SECURITY_OFFICER] * (specials // 2)
        roles += [Role.ADMIN] * (specials - specials // 2)
        roles += [Role.CASEWORKER] * max(sizes.teams, sizes.staff - len(roles))
        users = []
        for n, role in enumerate(roles, 1):
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            users.append(
                User(
                    username=f"bench-{role.replace('_', '-')}-{n:03d}",
                    first_name=first,
                    last_name=last,
                    email=f"bench{n}@example.org",
                    role=role,
                    password=password,
                    is_staff=role == Role.ADMIN,
                    is_superuser=role == Role.ADMIN,
                )
            )
        users = User.objects.bulk_create(users)
        self.teams = teams
        self.managers = [u for u in users if u.role == Role.SERVICE_MANAGER]
        caseworkers = [u for u in users if u.role == Role.CASEWORKER]
        self.staff_ids = [u.pk for u in users]
        # Each team: one manager, and caseworkers dealt round the teams.
        self.team_caseworkers = {team.pk: [] for team in teams}
        memberships = []
        for team, manager in zip(teams, self.managers, strict=True):
            memberships.append(TeamMembership(user=manager, team=team))
        for n, caseworker in enumerate(caseworkers):
            team = teams[n % len(teams)]
            self.team_caseworkers[team.pk].append(caseworker.pk)
            memberships.append(TeamMembership(user=caseworker, team=team))
        TeamMembership.objects.bulk_create(memberships)
        role_groups = {group.name: group for group in Group.objects.filter(name__in=ROLE_GROUP_NAMES.values())}
        through = User.groups.through
        links = [
            through(user_id=u.pk, group_id=role_groups[ROLE_GROUP_NAMES[u.role]].pk)
            for u in users
            if ROLE_GROUP_NAMES[u.role] in role_groups
        ]
        self.manager_group_ids = {}
        for team, manager in zip(teams, self.managers, strict=True):
            group = manager_group(team)
            self.manager_group_ids[team.pk] = group.pk
            links.append(through(user_id=manager.pk, group_id=group.pk))
        through.objects.bulk_create(links)
        self.manager_of_team = {team.pk: manager.pk for team, manager in zip(teams, self.managers, strict=True)}
        self.counts["staff"] = len(users)
        self.counts["teams"] = len(teams)

    def _sharing_setup(self) -> None:
        self.notice, _ = PrivacyNotice.objects.get_or_create(
            version="bench-1", defaults={"text": "How we use your information.", "effective_on": self.now.date()}
        )
        kinds = [kind for kind, _ in Partner.Kind.choices]
        self.partners = Partner.objects.bulk_create(
            Partner(name=f"Bench partner {n:02d}", kind=kinds[n % len(kinds)], secure_email=f"referrals{n}@example.org")
            for n in range(1, 41)
        )
        self.purposes = list(Purpose.objects.filter(is_active=True).order_by("pk"))
        if not self.purposes:
            self.purposes = [Purpose.objects.create(key="bench-referral", name="Referral for support")]
        everything = Selection({key: Level.DETAIL for key in ALL_KEYS}).to_json()
        agreements = DataSharingAgreement.objects.bulk_create(
            DataSharingAgreement(
                partner=partner,
                reference=f"DSA-BENCH-{n:02d}",
                selection=everything,
                starts_on=self.now.date() - timedelta(days=3 * 365),
            )
            for n, partner in enumerate(self.partners, 1)
        )
        self.agreement_of = {a.partner_id: a.pk for a in agreements}
        # More agreements, with the other partners (the focus partner keeps its one): some
        # ended, a fifth ending within the lead times, the rest later or open-ended.
        today = self.now.date()
        more = []
        for n in range(max(0, self.sizes.agreements - len(agreements))):
            roll = self.rng.random()
            if roll < 0.1:
                ends = today - timedelta(days=self.rng.randrange(1, 700))
            elif roll < 0.3:
                ends = today + timedelta(days=self.rng.randrange(1, 91))
            elif roll < 0.8:
                ends = today + timedelta(days=self.rng.randrange(91, 3 * 365))
            else:
                ends = None
            more.append(
                DataSharingAgreement(
                    partner=self.partners[1 + n % (len(self.partners) - 1)],
                    reference=f"DSA-BENCH-X{n:05d}",
                    selection=everything,
                    starts_on=today - timedelta(days=4 * 365),
                    ends_on=ends,
                )
            )
        agreements += DataSharingAgreement.objects.bulk_create(more, batch_size=1000)
        self.counts["agreements"] = len(agreements)
        through = DataSharingAgreement.purposes.through
        through.objects.bulk_create(
            (through(datasharingagreement_id=a.pk, purpose_id=p.pk) for a in agreements for p in self.purposes),
            batch_size=2000,
        )
        for purpose in self.purposes:
            PurposeTemplate.objects.get_or_create(
                purpose=purpose,
                defaults={"selection": Selection({k: Level.SUMMARY for k in ALL_KEYS[:4]}).to_json()},
            )

    # Clients and everything hanging off them: COPY.

    def _when(self, *, days_ago_max: int) -> datetime:
        return self.now - timedelta(seconds=self.rng.randrange(3600, days_ago_max * 86400))

    def _clients(self) -> None:
        n = self.sizes.clients
        self.say(f"Clients: {n:,} with permission rows, assignments, information and notes …")
        rng = self.rng
        permission_id = Permission.objects.get(content_type__app_label="clients", codename="open_client").pk
        first_id = _next_id(Client)
        self.client_ids = list(range(first_id, first_id + n))
        self.client_team = {}
        self.open_clients = []
        self.keyworker = {}
        rows = []
        today = self.now.date()
        teams = [team.pk for team in self.teams]
        self.past_retention = 0
        planted = {k + 2: plant for k, plant in enumerate(PLANTED)} if n > len(PLANTED) + 2 else {}
        for i, client_id in enumerate(self.client_ids):
            # The first is the focus client, the second the subject access client: one team, open.
            team_id = teams[0] if i < 2 else teams[i % len(teams)]
            self.client_team[client_id] = team_id
            is_open = i < 2 or rng.random() < OPEN_FRACTION
            opened = today - timedelta(days=rng.randrange(30, YEARS * 365))
            closed = None if is_open else opened + timedelta(days=rng.randrange(1, max(2, (today - opened).days)))
            if not is_open and rng.random() < PAST_RETENTION_OF_CLOSED:
                # Closed more than six years ago (and opened before that).
                past = RETENTION_YEARS * 365 + 1
                closed = today - timedelta(days=rng.randrange(past, past + 3 * 365))
                opened = closed - timedelta(days=rng.randrange(30, 3 * 365))
                self.past_retention += 1
            if is_open:
                self.open_clients.append(client_id)
            self.timeline.append((client_id, _morning(opened), "case_opened", "", "Case opened", None, None))
            if closed:
                self.timeline.append(
                    (client_id, _morning(closed), "case_closed", "", "Case closed: moved on", None, None)
                )
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            born = datetime(1950 + rng.randrange(55), 1 + rng.randrange(12), 1 + rng.randrange(28)).date()
            nhs = f"9{client_id:09d}" if client_id % 2 else ""
            nino = f"QQ{client_id:06d}C" if client_id % 3 == 0 else ""
            if i in planted:
                first, last, same_born, same_nhs = planted[i]
                if same_born:
                    born = DUPLICATE_CANDIDATE["date_of_birth"]
                if same_nhs:
                    nhs = DUPLICATE_CANDIDATE["nhs_number"].replace(" ", "")
            rows.append(
                (
                    client_id,
                    f"BN{client_id:08d}",
                    team_id,
                    first,
                    last,
                    born,
                    nhs,
                    nino,
                    f"07700 9{client_id % 100000:05d}",
                    f"{rng.randrange(1, 200)} High Street, Bench Town",
                    "open" if is_open else "closed",
                    opened,
                    closed,
                    "Moved on" if closed else "",
                    self.now,
                    self.now,
                )
            )
        self.counts["clients"] = copy_rows(
            Client,
            [
                "id",
                "reference",
                "team_id",
                "first_name",
                "last_name",
                "date_of_birth",
                "nhs_number",
                "national_insurance_number",
                "phone",
                "address",
                "status",
                "opened_on",
                "closed_on",
                "closure_reason",
                "created_at",
                "updated_at",
            ],
            rows,
        )
        self.counts["open_clients"] = len(self.open_clients)
        self.counts["clients_past_retention"] = self.past_retention
        open_set = set(self.open_clients)
        gid = _next_id(ClientGroupObjectPermission)
        copy_rows(
            ClientGroupObjectPermission,
            ["id", "permission_id", "group_id", "content_object_id"],
            (
                (gid + i, permission_id, self.manager_group_ids[self.client_team[c]], c)
                for i, c in enumerate(self.client_ids)
            ),
        )
        # One assignment per client: open (with its permission row) for open cases.
        assignments, user_perms = [], []
        aid, uid = _next_id(Assignment), _next_id(ClientUserObjectPermission)
        focus_caseworker = self.team_caseworkers[teams[0]][0]
        for i, c in enumerate(self.client_ids):
            team_id = self.client_team[c]
            worker = focus_caseworker if i < 2 else rng.choice(self.team_caseworkers[team_id])
            manager = self.manager_of_team[team_id]
            started = today - timedelta(days=rng.randrange(1, YEARS * 365))
            if c in open_set:
                self.keyworker[c] = worker
                assignments.append((aid + i, c, worker, True, started, None, manager, None))
                user_perms.append((uid + len(user_perms), permission_id, worker, c))
            else:
                assignments.append((aid + i, c, worker, True, started, started + timedelta(days=30), manager, manager))
        copy_rows(
            Assignment,
            [
                "id",
                "client_id",
                "caseworker_id",
                "is_key_worker",
                "started_on",
                "ended_on",
                "started_by_id",
                "ended_by_id",
            ],
            assignments,
        )
        copy_rows(ClientUserObjectPermission, ["id", "permission_id", "user_id", "content_object_id"], user_perms)
        # Information and notes; the focus client has a full record: one entry per category
        # and twenty notes, so its page is a busy one.
        eid, nid = _next_id(InformationEntry), _next_id(CaseNote)

        def entries():
            n_id = eid
            for i, c in enumerate(self.client_ids):
                keys = ALL_KEYS if i < 2 else rng.sample(ALL_KEYS, ENTRIES_PER_CLIENT)
                author = self.keyworker.get(c) or self.manager_of_team[self.client_team[c]]
                for key in keys:
                    at = self._when(days_ago_max=YEARS * 365)
                    yield (
                        n_id,
                        c,
                        key,
                        f"Summary of {key.replace('_', ' ')} for this client.",
                        f"The detailed account of {key.replace('_', ' ')}, as told to the key worker. " * 3,
                        author,
                        at,
                        at,
                    )
                    n_id += 1

        def notes():
            n_id = nid
            for i, c in enumerate(self.client_ids):
                author = self.keyworker.get(c) or self.manager_of_team[self.client_team[c]]
                count = 20 if i == 0 else self.sizes.sar_notes if i == 1 else NOTES_PER_CLIENT
                for _ in range(count):
                    at = self._when(days_ago_max=YEARS * 365)
                    key = rng.choice(ALL_KEYS)
                    text = "Met the client at the drop-in; talked through housing options and next steps. " * 2
                    yield (n_id, c, key, text, rng.random() < 0.05, author, at, at)
                    n_id += 1

        self.counts["information_entries"] = copy_rows(
            InformationEntry,
            ["id", "client_id", "category", "summary", "detail", "recorded_by_id", "recorded_at", "updated_at"],
            entries(),
        )
        self.counts["case_notes"] = copy_rows(
            CaseNote,
            ["id", "client_id", "category", "text", "held_in_confidence", "author_id", "written_at", "updated_at"],
            notes(),
        )

    def _review_dates(self, given: datetime):
        """A consent's review date (a sixth overdue, a sixth within the review window, the rest
        later) and, for one in ten, an expiry date around now."""
        today, roll = self.now.date(), self.rng.random()
        if roll < 0.15:
            review = today - timedelta(days=self.rng.randrange(1, 120))
        elif roll < 0.3:
            review = today + timedelta(days=self.rng.randrange(0, 30))
        else:
            review = today + timedelta(days=self.rng.randrange(31, 365))
        expires = today + timedelta(days=self.rng.randrange(-60, 400)) if self.rng.random() < 0.1 else None
        return max(review, given.date()), expires

    def _consents(self) -> None:
        n = self.sizes.consents
        self.say(f"Consents: {n:,} …")
        rng = self.rng
        first_id = _next_id(ConsentRecord)
        rows, partner_links, purpose_links = [], [], []
        self.consents = []  # (id, client, partner, purpose, selection json, given_at) in force
        # Mostly about open clients (consents are reviewed and renewed), some about closed ones.
        pool_open, pool_all = self.open_clients[1:] or self.open_clients, self.client_ids
        for i in range(n):
            consent_id = first_id + i
            # The first is the subject access client's, in force (their referrals rely on it).
            client = self.client_ids[1] if i == 0 else rng.choice(pool_open if rng.random() < 0.7 else pool_all)
            partner = rng.choice(self.partners)
            purpose = rng.choice(self.purposes)
            keys = rng.sample(ALL_KEYS, rng.randrange(2, 8))
            selection = _json({k: rng.choice(("summary", "detail")) for k in keys})
            given = self._when(days_ago_max=3 * 365)
            withdrawn = given + timedelta(days=rng.randrange(1, 200)) if rng.random() < 0.1 else None
            if (withdrawn and withdrawn >= self.now) or i == 0:
                withdrawn = None
            review_due, expires_on = self._review_dates(given)
            if i == 0:
                expires_on = None
            manager = self.manager_of_team[self.client_team[client]]
            worker = self.keyworker.get(client) or manager
            rows.append(
                (
                    consent_id,
                    client,
                    selection,
                    "electronic",
                    f"e-consent {consent_id}",
                    self.notice.pk,
                    given,
                    worker,
                    given,
                    withdrawn,
                    "phone" if withdrawn else "",
                    manager if withdrawn else None,
                    review_due,
                    expires_on,
                )
            )
            self.timeline.append(
                (client, given, "consent_recorded", f",{','.join(keys)},", "Consent recorded", worker, consent_id)
            )
            partner_links.append((consent_id, partner.pk))
            purpose_links.append((consent_id, purpose.pk))
            if withdrawn is None:
                self.consents.append((consent_id, client, partner, purpose, selection, given))
        self.counts["consents"] = copy_rows(
            ConsentRecord,
            [
                "id",
                "client_id",
                "selection",
                "method",
                "electronic_reference",
                "notice_id",
                "given_at",
                "recorded_by_id",
                "recorded_at",
                "withdrawn_at",
                "withdrawal_method",
                "withdrawn_by_id",
                "review_due",
                "expires_on",
            ],
            rows,
        )
        for through, owner, rows_ in (
            (ConsentRecord.partners.through, "partner", partner_links),
            (ConsentRecord.purposes.through, "purpose", purpose_links),
        ):
            start = _next_id(through)
            copy_rows(
                through,
                ["id", "consentrecord_id", f"{owner}_id"],
                ((start + k, c, o) for k, (c, o) in enumerate(rows_)),
            )

    def _referrals(self) -> None:
        n = self.sizes.referrals
        self.say(f"Referrals with their disclosures: {n:,} …")
        rng = self.rng
        if not self.consents:
            self.counts["referrals"] = 0
            return
        did, rid = _next_id(Disclosure), _next_id(Referral)
        disclosures, referrals = [], []
        for i in range(n):
            # The first ones are the subject access client's (the first consent is theirs).
            pick = 0 if i < self.sizes.sar_disclosures else i % len(self.consents)
            consent_id, client, partner, purpose, selection, given = self.consents[pick]
            at = min(self.now - timedelta(hours=1), given + timedelta(days=rng.randrange(0, 60)))
            worker = self.keyworker.get(client) or self.manager_of_team[self.client_team[client]]
            reference = f"D-BENCH-{did + i:08d}"
            basis = f"Consent to {partner.name}, given {given:%d %B %Y} (electronic)"
            snapshot = {
                "version": 1,
                "organisation": "Casework",
                "reference": reference,
                "recipient": partner.name,
                "purpose": purpose.name,
                "basis": basis,
                "sent_at": at.isoformat(),
                "sent_by": "Bench Caseworker",
                "selection": json.loads(selection),
                "sections": [],
            }
            disclosures.append(
                (
                    did + i,
                    "referral",
                    reference,
                    client,
                    partner.pk,
                    partner.name,
                    purpose.pk,
                    purpose.name,
                    consent_id,
                    basis,
                    self.agreement_of[partner.pk],
                    selection,
                    worker,
                    at,
                    _json(snapshot),
                    hashlib.sha256(canonical(snapshot)).hexdigest(),
                )
            )
            referrals.append((rid + i, client, partner.pk, purpose.pk, selection, "sent", worker, at, at, did + i))
            cats = ",".join(json.loads(selection))
            self.timeline.append(
                (client, at, "referral_sent", f",{cats},", f"Referral sent to {partner.name}", worker, rid + i)
            )
        self.counts["disclosures"] = copy_rows(
            Disclosure,
            [
                "id",
                "kind",
                "reference",
                "client_id",
                "partner_id",
                "recipient_label",
                "purpose_id",
                "purpose_label",
                "consent_id",
                "basis_label",
                "agreement_id",
                "selection",
                "disclosed_by_id",
                "disclosed_at",
                "snapshot",
                "snapshot_sha256",
            ],
            disclosures,
        )
        self.counts["referrals"] = copy_rows(
            Referral,
            [
                "id",
                "client_id",
                "partner_id",
                "purpose_id",
                "selection",
                "status",
                "created_by_id",
                "created_at",
                "updated_at",
                "disclosure_id",
            ],
            referrals,
        )

    def _client_alerts(self) -> None:
        """Alerts on open clients (a tenth of them ended); the focus and subject access clients have three each."""
        n = self.sizes.alerts
        self.say(f"Client alerts: {n:,} …")
        rng = self.rng
        kinds = [kind for kind, _ in ClientAlert.Kind.choices]
        first_id = _next_id(ClientAlert)
        rows = []
        special = [c for c in self.client_ids[:2] for _ in range(3)]
        others = self.open_clients[2:] or self.open_clients
        for k in range(n):
            client = special[k] if k < len(special) else rng.choice(others)
            kind = kinds[k % 3] if k < len(special) else rng.choice(kinds)
            raised = self._when(days_ago_max=2 * 365)
            ended = k % 3 == 2 if k < len(special) else rng.random() < 0.1
            worker = self.keyworker.get(client) or self.manager_of_team[self.client_team[client]]
            text = "Has been aggressive to staff when drinking; meet in the office with a colleague."
            rows.append(
                (
                    first_id + k,
                    client,
                    kind,
                    text,
                    worker,
                    raised,
                    (raised + timedelta(days=180)).date(),
                    worker if ended else None,
                    raised + timedelta(days=30) if ended else None,
                    "No longer needed after review." if ended else "",
                )
            )
            self.timeline.append((client, raised, "alert_raised", "", "Alert raised", worker, first_id + k))
        self.counts["client_alerts"] = copy_rows(
            ClientAlert,
            [
                "id",
                "client_id",
                "kind",
                "text",
                "raised_by_id",
                "raised_at",
                "review_by",
                "ended_by_id",
                "ended_at",
                "end_reason",
            ],
            rows,
        )

    def _timeline(self) -> None:
        """The key events collected while building (cases opened and closed, consents, referrals, alerts)."""
        self.say(f"Timeline events: {len(self.timeline):,} …")
        first_id = _next_id(TimelineEvent)
        self.counts["timeline_events"] = copy_rows(
            TimelineEvent,
            ["id", "client_id", "at", "kind", "categories", "summary", "actor_id", "object_type", "object_id"],
            (
                (first_id + k, c, at, kind, cats, summary, actor, "bench" if obj else "", obj)
                for k, (c, at, kind, cats, summary, actor, obj) in enumerate(self.timeline)
            ),
        )
        self.timeline = []

    def _sars(self) -> None:
        """Subject access requests: most answered long ago, those of the last two months open."""
        n = self.sizes.sars
        self.say(f"Subject access requests: {n:,} …")
        rng = self.rng
        first_id = _next_id(SubjectAccessRequest)
        today = self.now.date()
        rows = []
        for k in range(n):
            client = rng.choice(self.client_ids)
            received = today - timedelta(days=rng.randrange(0, 3 * 365))
            due = response_due(received)
            is_open = (today - received).days < 60 and rng.random() < 0.7
            logger = self.manager_of_team[self.client_team[client]]
            rows.append(
                (
                    first_id + k,
                    f"SAR-BENCH-{first_id + k:06d}",
                    client,
                    "client",
                    "known_in_person",
                    "Everything you hold about me, and who you shared it with.",
                    received,
                    due,
                    "open" if is_open else "completed",
                    None if is_open else min(due, received + timedelta(days=rng.randrange(5, 30))),
                    logger,
                    _morning(received),
                )
            )
        self.counts["subject_access_requests"] = copy_rows(
            SubjectAccessRequest,
            [
                "id",
                "reference",
                "client_id",
                "requester",
                "verification",
                "asked_for",
                "received_on",
                "due_on",
                "status",
                "completed_on",
                "logged_by_id",
                "logged_at",
            ],
            rows,
        )

    def _breaches(self) -> None:
        n = self.sizes.breaches
        self.say(f"Breaches: {n:,} with their alerts …")
        rng = self.rng
        thresholds = alert_thresholds()
        bid, aid = _next_id(BreachReport), _next_id(Alert)
        breaches, alerts = [], []
        decided = [Status.NOTIFIED, Status.NOT_REPORTABLE, Status.CLOSED, Status.CLOSED, Status.CLOSED]
        running = [Status.REPORTED, Status.TRIAGED, Status.ASSESSED]
        for i in range(n):
            breach_id = bid + i
            team = self.teams[i % len(self.teams)]
            if rng.random() < ALERTING_FRACTION:
                status = rng.choice(running)
                aware = self.now - timedelta(minutes=rng.randrange(10, 100 * 60))  # clocks from fresh to overdue
            else:
                status = rng.choice(decided)
                aware = self._when(days_ago_max=YEARS * 365) - timedelta(days=5)
            deadline = aware + timedelta(hours=CLOCK_STARTED_HOURS)
            reporter = rng.choice(self.team_caseworkers[team.pk])
            closed = status == Status.CLOSED
            breaches.append(
                (
                    breach_id,
                    team.pk,
                    reporter,
                    aware + timedelta(minutes=5),
                    status,
                    aware,
                    deadline,
                    "A referral was e-mailed to the wrong address; the recipient was asked to delete it.",
                    _json(rng.sample(ALL_KEYS, 2)),
                    _json(["clients"]),
                    aware + timedelta(days=30) if closed else None,
                    self.manager_of_team[team.pk] if closed else None,
                    aware + timedelta(minutes=5),
                )
            )
            for hours in thresholds:
                due = alert_due_at(deadline, hours)
                if due <= self.now and (status in running or hours >= 48):
                    alerts.append(
                        (
                            aid + len(alerts),
                            BREACH_CLOCK,
                            breach_id,
                            deadline,
                            threshold_key(hours),
                            threshold_label(hours),
                            due,
                            due,
                            Alert.Delivery.EMAIL,
                        )
                    )
        self.counts["breaches"] = copy_rows(
            BreachReport,
            [
                "id",
                "team_id",
                "reported_by_id",
                "reported_at",
                "status",
                "became_aware_at",
                "deadline_at",
                "what_happened",
                "categories",
                "people_categories",
                "closed_at",
                "closed_by_id",
                "updated_at",
            ],
            breaches,
        )
        self.counts["breach_alerts"] = copy_rows(
            Alert,
            ["id", "clock", "object_id", "due_at", "threshold", "label", "fire_at", "raised_at", "delivery"],
            alerts,
        )

    def _events(self) -> None:
        n = self.sizes.audit_events
        self.say(f"Audit events: {n:,} …")
        rng = self.rng
        start = self.now - timedelta(days=3 * 365)
        step = (self.now - timedelta(hours=1) - start) / max(1, n)
        first_id = _next_id(AccessEvent)
        all_categories = _json(ALL_KEYS)
        identity = _json(["identity"])
        empty = "[]"
        sessions = [hashlib.sha256(str(k).encode()).hexdigest() for k in range(500)]
        staff, clients = self.staff_ids, self.client_ids
        # Every stride-th row is someone opening the subject access client's record.
        sar_client, stride = self.client_ids[1], max(1, n // max(1, self.sizes.sar_access))

        def rows():
            rand = rng.random
            for i in range(n):
                at = start + step * i
                roll = rand()
                if i % stride == 0 and i // stride < self.sizes.sar_access:
                    actor = staff[int(rand() * len(staff))]
                    ip, session = f"10.0.{actor % 250}.{actor % 200 + 1}", sessions[actor % len(sessions)]
                    yield (first_id + i, at, actor, "view", "allowed", sar_client, "", "", all_categories, "", "",
                           "", False, "", "", ip, session)  # fmt: skip
                    continue
                actor = staff[int(rand() * len(staff))]
                session = sessions[actor % len(sessions)]
                ip = f"10.0.{actor % 250}.{actor % 200 + 1}"
                if roll < 0.15:
                    yield (first_id + i, at, actor, "list", "allowed", None, "", "", empty, "", "", "", False, "",
                           "caseload sort=name page=1 q=''", ip, session)  # fmt: skip
                    continue
                client = clients[int(rand() * len(clients))]
                if roll < 0.80:
                    action, outcome, cats, obj_type, obj_id = "view", "allowed", all_categories, "", ""
                elif roll < 0.92:
                    action, outcome, cats, obj_type, obj_id = "edit", "allowed", identity, "clients.Client", str(client)
                elif roll < 0.97:
                    action, outcome, cats, obj_type, obj_id = "download", "allowed", identity, "sharing.Referral", "1"
                else:
                    action, outcome, cats, obj_type, obj_id = "view", "denied", all_categories, "", ""
                glass = outcome == "allowed" and rand() < 0.01
                yield (
                    first_id + i,
                    at,
                    actor,
                    action,
                    outcome,
                    client,
                    obj_type,
                    obj_id,
                    cats,
                    "",
                    "covering" if glass else "",
                    "Covering for a colleague on leave." if glass else "",
                    glass,
                    "",
                    "outside caseload"
                    if glass
                    else ("reason required: outside caseload" if outcome == "denied" else ""),
                    ip,
                    session,
                )

        self.counts["audit_events"] = copy_rows(
            AccessEvent,
            [
                "id",
                "at",
                "actor_id",
                "action",
                "outcome",
                "client_id",
                "object_type",
                "object_id",
                "categories",
                "purpose",
                "reason_category",
                "reason",
                "break_glass",
                "basis",
                "detail",
                "ip_address",
                "session_hash",
            ],
            rows(),
        )

    def _focus(self) -> Focus:
        """The focus client's consent (12 categories, explicit) and an older withdrawn one."""
        client = Client.objects.select_related("team").get(pk=self.client_ids[0])
        caseworker = User.objects.get(pk=self.keyworker[client.pk])
        manager = User.objects.get(pk=self.manager_of_team[client.team_id])
        partner, purpose = self.partners[0], self.purposes[0]
        selection = Selection({key: Level.DETAIL for key in SHARE_KEYS})
        older = ConsentRecord.objects.create(
            client=client,
            selection=selection.to_json(),
            method=ConsentRecord.Method.ELECTRONIC,
            electronic_reference="e-consent focus 1",
            notice=self.notice,
            given_at=self.now - timedelta(days=400),
            recorded_by=caseworker,
            recorded_at=self.now - timedelta(days=400),
            withdrawn_at=self.now - timedelta(days=200),
            withdrawal_method=ConsentRecord.WithdrawalMethod.PHONE,
            withdrawn_by=caseworker,
        )
        current = ConsentRecord.objects.create(
            client=client,
            selection=selection.to_json(),
            method=ConsentRecord.Method.ELECTRONIC,
            electronic_reference="e-consent focus 2",
            notice=self.notice,
            given_at=self.now - timedelta(days=100),
            recorded_by=caseworker,
            recorded_at=self.now - timedelta(days=100),
        )
        for consent in (older, current):
            consent.partners.add(partner)
            consent.purposes.add(purpose)
        reasons = {key: "Needed so the service can plan safe support." for key in SHARE_KEYS if key in SENSITIVE_KEYS}
        sar_client = Client.objects.select_related("team").get(pk=self.client_ids[1])
        iso = User.objects.filter(role=Role.INFORMATION_SECURITY_OFFICER).order_by("pk").first()
        return Focus(caseworker, manager, client, partner, purpose, selection, reasons, sar_client, iso)

    def _seal(self) -> None:
        """Seal the audit log as the periodic task would have, leaving `seal_tail` rows for the benchmark."""
        total = AccessEvent.objects.count()
        to_seal = max(0, total - self.seal_tail)
        self.say(f"Sealing {to_seal:,} audit rows (leaving {total - to_seal:,} for the benchmark) …")
        full, rest = divmod(to_seal, BATCH_SIZE)
        if full:
            seal_audit(batch_size=BATCH_SIZE, max_seals=full)
        if rest:
            seal_audit(batch_size=rest, max_seals=1)
