"""The risk assessment: likelihood and severity of harm to the people affected.

The matrix below is the documented rule; the assessment page shows it as a table.

================  ===========  ===========  ===========
likelihood        minimal      significant  severe
================  ===========  ===========  ===========
remote            unlikely     unlikely     risk
possible          unlikely     risk         high risk
likely            risk         high risk    high risk
================  ===========  ===========  ===========

"unlikely" means "unlikely to result in a risk to people's rights and freedoms": the
breach is recorded but need not be reported to the ICO. "risk" must be reported to the
ICO within 72 hours. "high risk" must also be told to the people affected without undue
delay, unless an exception applies (UK GDPR Articles 33 and 34).

A severe impact is never "unlikely" however remote: for the people this service supports
(a refuge address reaching a perpetrator, a disclosure that costs someone their tenancy)
a remote chance of serious harm is still a risk.
"""

from django.db import models


class Likelihood(models.TextChoices):
    REMOTE = "remote", "Remote – harm is very unlikely"
    POSSIBLE = "possible", "Possible – harm could happen"
    LIKELY = "likely", "Likely – harm is likely or has happened"


class Severity(models.TextChoices):
    MINIMAL = "minimal", "Minimal – minor inconvenience, quickly overcome"
    SIGNIFICANT = "significant", "Significant – distress or inconvenience, overcome with some difficulty"
    SEVERE = "severe", "Severe – serious or lasting harm: safety, health, housing, money, discrimination"


class Risk(models.TextChoices):
    UNLIKELY = "unlikely", "Unlikely to result in risk"
    RISK = "risk", "Risk"
    HIGH = "high", "High risk"


MATRIX: dict[tuple[str, str], str] = {
    (Likelihood.REMOTE, Severity.MINIMAL): Risk.UNLIKELY,
    (Likelihood.REMOTE, Severity.SIGNIFICANT): Risk.UNLIKELY,
    (Likelihood.REMOTE, Severity.SEVERE): Risk.RISK,
    (Likelihood.POSSIBLE, Severity.MINIMAL): Risk.UNLIKELY,
    (Likelihood.POSSIBLE, Severity.SIGNIFICANT): Risk.RISK,
    (Likelihood.POSSIBLE, Severity.SEVERE): Risk.HIGH,
    (Likelihood.LIKELY, Severity.MINIMAL): Risk.RISK,
    (Likelihood.LIKELY, Severity.SIGNIFICANT): Risk.HIGH,
    (Likelihood.LIKELY, Severity.SEVERE): Risk.HIGH,
}


def assess(likelihood: str, severity: str) -> Risk:
    """The risk level for a likelihood and severity (raises ValueError for unknown values)."""
    try:
        return Risk(MATRIX[(Likelihood(likelihood), Severity(severity))])
    except (KeyError, ValueError) as exc:
        raise ValueError(f"unknown likelihood or severity: {likelihood!r}, {severity!r}") from exc


def matrix_rows() -> list[tuple[str, list[str]]]:
    """The matrix as table rows for templates: (likelihood label, [risk label per severity])."""
    return [
        (likelihood.label, [Risk(MATRIX[(likelihood, severity)]).label for severity in Severity])
        for likelihood in Likelihood
    ]
