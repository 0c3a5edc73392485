"""Who may do what with the public face, written into the one authority table (programmes.authority).

- Anyone, without an account, reads the map, the public profiles, the figures and the library.
- Every member of a programme opens its benefits calculator and prints it (its own KPIs).
- The lead alone decides what the programme shows publicly (map opt-in, KPI bands, public text),
  saves the programme's own calculator values and proposes resources for the library.
- IOF staff curate the library (create, edit, retire, approve or decline proposals) and the
  calculator's parameters per country.
"""

from programmes.authority import extend_role
from programmes.models import Role


class NetworkCapability:
    CALCULATE = "network.calculate"
    PUBLISH = "network.publish"
    CURATE = "network.curate"


NC = NetworkCapability


def register() -> None:
    for role in (Role.VIEWER, Role.COORDINATOR, Role.LEAD):
        extend_role(role, {NC.CALCULATE})
    extend_role(Role.LEAD, {NC.PUBLISH})
    extend_role("iof_staff", {NC.CURATE})
