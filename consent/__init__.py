"""Consent and the other lawful bases for sharing; answers "what basis covers this share?".

Public API for other apps (sharing, the gate):

- `consent.selectors.basis_for_share(client=, partner=, purpose=, selection=, on=None, lock=False)`
  and `basis_for_meeting_share(client=, group=, present=, purpose=, selection=, ...)` return a
  `consent.coverage.ShareAnswer`: `.covered`, `.basis` (the one ConsentRecord or
  LawfulBasisRecord that covers everything, else None), `.items` (per category: covered by
  which basis, or why not) and `.explanation` (plain English). Two queries, three for a
  meeting. `lock=True` (inside `transaction.atomic()`) locks the candidate rows.
- `consent.services.consent_withdraw(...)` and `consent.services.on_withdrawal(callback)`:
  callbacks run inside the withdrawal's transaction.
- `consent.forms.SelectionField`: the accessible `{category: level}` chooser.
- `consent.evidence`: content-checked, privately stored uploads (`check_upload`, `store`,
  `StoredFile`, `file_response`).
- `consent.models.Partner`, `MeetingGroup`, `Purpose` (docs/decisions/0003).

Decisions:

- One basis must cover the whole share; bases are not combined item by item.
- A detail level covers its summary, never the reverse.
- Withdrawn (from the moment recorded), expired (from `expires_on`), ended (from `ends_on`),
  not yet given, or awaiting a manager's approval: covers nothing. A review date that has
  passed does not stop a consent covering; it puts the consent on the dashboard.
- Special-category and criminal-offence items need explicit consent: written or electronic
  consent is explicit; verbal consent only with the client's own words recorded
  (`explicit_statement`), which the service demands when such items are chosen. Other
  bases need an Article 9 condition for special-category items and a DPA 2018 Schedule 1
  condition for criminal-offence items.
- Consent cannot be recorded for a client without capacity to give it.
- A basis naming a meeting group covers sharing at that group's meetings with its named
  members only, not a direct referral to a member.
- Which other bases need a manager's approval is configurable (`BasisPolicy`, in the admin);
  the requirement is copied onto each record when it is made. Approval is by a service
  manager of the client's team other than the person who recorded it.
"""
