"""The clinical truth of the FLS pathway, read by every app that judges an episode.

``clinical.kpi_sets`` defines the KPI sets (each KPI's clinical definition in words beside its
expressions); ``clinical.expressions`` turns a definition into the SQL that judges episodes. The
KPI engine (``kpis``) aggregates those expressions over many episodes; the episode page, the
worklist and the programme's choice of set (``patients``, ``programmes``) read the same
definitions for one episode. This package sits below every app and imports none of them: it is
plain data and string building, no models.
"""
