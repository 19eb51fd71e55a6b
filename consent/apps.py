from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"

    def ready(self):
        # Reviews, expiries and basis end dates run on the shared deadline mechanism.
        from .deadlines import register_clocks

        register_clocks()

        # One person, one record: a merge moves every basis, its evidence and any
        # restriction the client asked for to the surviving record (clients.merge), so a
        # restriction keeps applying to the person.
        from clients.merge import Policy, on_merge

        for model in (
            "consent.ConsentRecord",
            "consent.LawfulBasisRecord",
            "consent.ConsentEvidence",
            "consent.SharingRestriction",
        ):
            on_merge(model, policy=Policy.MOVE)
