"""Every path, form field, selector and message of the Ecocito portal, in one place.

Two kinds of facts live here (see the project's portal SPEC):

* KNOWN: observed on the live portal by existing public clients. Ground truth.
* MODELLED: taken from the portal's user guide (the account drop-down and the
  production-point association wizard); the names were chosen by us in ASP.NET MVC
  style and are still to be confirmed against the live portal.

The MODELLED form names are DEFAULTS: the client follows the forms of the page it
gets (``forms.py``): their ``action``, ``method``, hidden fields (the token, whatever
its name) and the names of the fields it fills in; it uses a default only where the
page says nothing. If the live portal differs beyond what a page can say, this module
and the parsers' tolerance are the only places to change.
"""

from __future__ import annotations

from typing import Final

# --- Addresses (KNOWN) -------------------------------------------------------
PORTAL_DOMAIN: Final = "ecocito.com"
"""Each collectivité has its own host: ``https://<subdomain>.ecocito.com``."""
PUBLIC_SUBDOMAINS: Final = (
    "pilatrhodanien",
    "ccac",
    "univalom",
    "ouanalaoenvironement",
    "69",
)
"""Subdomains seen in public clients; offered as suggestions, never a limit."""
LOOPBACK_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})
"""Hosts for which plain ``http://`` is accepted (the simulator, the demo)."""

# --- Transport limits (MODELLED: our own bounds, far above what the portal serves) ---
MAX_REDIRECTS: Final = 5
"""Redirects followed for one request, all within the portal's own origin."""
MAX_BODY_BYTES: Final = 4 * 1024 * 1024
"""Largest answer read: a year of pickups is about 30 kB, a page about 20 kB."""
OFF_LOOP_BYTES: Final = 256 * 1024
"""Answers larger than this are parsed in a worker thread, off the event loop."""
MAX_PAGES: Final = 100
"""DevExtreme pages read for one query (10,000 rows at 100 rows a page)."""
MAX_RETRY_AFTER: Final = 3600.0
"""Longest back-off honoured from a Retry-After header, in seconds."""

# --- Session (KNOWN) ---------------------------------------------------------
PATH_LOGIN: Final = "/Usager/Profil/Connexion"
PATH_LOGOUT: Final = "/Usager/Profil/Deconnexion"
PATH_HOME: Final = "/Usager/Accueil"
FIELD_LOGIN: Final = "Identifiant"
FIELD_PASSWORD: Final = "MotDePasse"  # noqa: S105 - a field name
LOGIN_FIXED_FIELDS: Final = {"MaintenirConnexion": "false", "FranceConnectActif": "False"}
ERROR_SUMMARY_CLASS: Final = "validation-summary-errors"
"""The ``<div>`` whose ``<li>`` items carry the portal's error messages."""

# --- Waste types, pickups, visits (KNOWN) -----------------------------------
PATH_COLLECTION_PAGE: Final = "/Usager/Collecte"
WASTE_TYPE_SELECT_ID: Final = "Filtres_IdMatiere"
ALL_WASTE_TYPES: Final = -1
"""Option value meaning "all types"; not a waste stream."""
PATH_PICKUPS: Final = "/Usager/Collecte/GetCollecte"
PATH_VISITS: Final = "/Usager/Apport/GetApport"
QUERY_WASTE_TYPE: Final = "idMatiere"
QUERY_START: Final = "dateDebut"
QUERY_END: Final = "dateFin"
QUERY_START_FORMAT: Final = "%Y-%m-%dT00:00:00.000Z"
QUERY_END_FORMAT: Final = "%Y-%m-%dT23:59:59.999Z"
QUERY_SORT: Final = '[{"selector":"DATE_DONNEE","desc":false}]'
QUERY_FIXED: Final = {"charger": "true", "requireTotalCount": "true", "sort": QUERY_SORT}
JSON_ROWS: Final = "data"
JSON_TOTAL: Final = "totalCount"
ROW_DATE: Final = "DATE_DONNEE"
"""Naive local (Europe/Paris) ISO 8601 time; the only field a row must have."""
ROW_WEIGHT: Final = "QUANTITE_NETTE"
ROW_ADDRESS: Final = "LIBELLE_ADRESSE"
ROW_BIN: Final = "NumeroCuve"
ROW_CHIP: Final = "NumeroPuce"
ROW_WASTE_TYPE: Final = "ID_MATIERE"
"""The row's own waste type, where rows carry it (a public client groups a -1 read by
it): the truth, whatever ``idMatiere`` asked for."""
PORTAL_TIMEZONE: Final = "Europe/Paris"
MESSAGE_CLASSES: Final = (ERROR_SUMMARY_CLASS, "error")
"""The elements that carry the portal's own message: ``validation-summary-errors`` and
``div.error`` (a maintenance notice, an error page). A page holding one instead of the
content asked for is a temporary failure that says why, not a change of the portal."""

# --- Borne drop-offs per month (KNOWN: path, query, count) --------------------
PATH_BORNE_DROP_OFFS: Final = "/Usager/Json/ObtenirStatistiqueApportPAVMensuel"
"""Openings of the badge-opened bornes (points d'apport volontaire), per month.

Queried with ``QUERY_START``, ``QUERY_END`` (``QUERY_*_FORMAT``) and ``QUERY_WASTE_TYPE``;
the answer is a bare JSON list of objects, one per month.
"""
STAT_COUNT: Final = "Nombre"
"""The month's count: an integer, numeric text or a whole float (a public client reads
it with ``int()``)."""

# --- Borne drop-offs per month (MODELLED) -------------------------------------
STAT_MONTH: Final = "Mois"
"""Each object's month, 1 to 12. Without it, the month is read from a date or a French
month name in another field, else from the list's order (twelve objects); without any, they
count the year as a whole."""
STAT_YEAR: Final = "Annee"
"""Each object's year, when present: an object of another year is left out.

Also modelled: a month with no drop-off is missing or has ``Nombre`` 0, and an
account without a borne answers ``[]``. Whatever the shape, a failure here costs the
borne figures only: the client reads them as an optional part.
"""
MONTH_NAMES: Final = (
    "janvier",
    "fevrier",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
)
"""French month names without accents; their first three letters name them too."""

# --- Visits: optional fields (MODELLED) --------------------------------------
ROW_VISIT_SITE: Final = "LIBELLE_DECHETERIE"
ROW_VISIT_MATERIAL: Final = "LIBELLE_MATIERE"
ROW_VISIT_QUANTITY: Final = "QUANTITE"

# --- Account drop-down (MODELLED; DEFAULTS, the page's form overrides them) ---
# A login whose pages show no drop-down is one production point (most logins): no
# switch is ever posted for it. Its number and label come from the home page where
# shown (HOME_ACCOUNT_PATTERN), else its label from its rows' address, and its number
# is UNNUMBERED_ACCOUNT_ID until a drop-down names it.
HOME_ACCOUNT_PATTERN: Final = r"N°\s*(\d+)\s*-\s*(\S.*)"
"""How a page names an account: "N° 104233 - 12 RUE DES LILAS 23000 GUERET"."""
UNNUMBERED_ACCOUNT_ID: Final = 0
"""The one production point of a login whose pages never name its number."""
ACCOUNT_SELECT_ID: Final = "IdCompte"
"""The drop-down's id or name; else the first select whose id or name holds the hint."""
ACCOUNT_SELECT_HINT: Final = "compte"
PATH_SWITCH_ACCOUNT: Final = "/Usager/Profil/ChangerCompte"
"""DEFAULT: the ``action`` of the form holding the drop-down wins."""
FIELD_ACCOUNT: Final = "IdCompte"
"""DEFAULT: the drop-down's ``name`` wins."""
FIELD_TOKEN: Final = "__RequestVerificationToken"  # noqa: S105 - a field name
"""DEFAULT: every hidden field of the page's form is sent back, whatever its name."""

# --- Association wizard (MODELLED; DEFAULTS but the start page) ----------------
PATH_LINK_START: Final = "/Usager/Profil/AssocierCompte"
"""The wizard's first page: the one wizard address the client must know."""
PATH_SEARCH_COMMUNES: Final = "/Usager/Profil/RechercherCommunes"
"""DEFAULT: a ``data-*`` URL of the wizard's form (or a script's ``source:``) wins."""
QUERY_TERM: Final = "term"
"""What jQuery UI's autocomplete sends; the page cannot say it."""
SEARCH_MIN_LENGTH: Final = 2
SEARCH_MAX_LENGTH: Final = 100
"""Longer terms match no commune and are not sent (a long query can be refused)."""
SEARCH_MAX_RESULTS: Final = 20
"""The most communes one search answers: an answer this long may leave some out."""
PATH_LINK_COMMUNE: Final = "/Usager/Profil/AssocierCompte/Commune"
"""DEFAULT: the ``action`` of the start page's wizard form wins (as for the key step)."""
FIELD_COMMUNE_ID: Final = "IdCommune"
"""DEFAULT: else the form's empty hidden input (named like a hint, if several)."""
COMMUNE_FIELD_HINTS: Final = ("commune",)
PATH_LINK_KEY: Final = "/Usager/Profil/AssocierCompte/Cle"
"""DEFAULT: the ``action`` of the commune step's answer wins."""
FIELD_ACTIVATION_KEY: Final = "CleActivation"
"""DEFAULT: else the key step form's text input (named like a hint, if several)."""
KEY_FIELD_HINTS: Final = ("cle", "activation", "key")
COMMUNE_ID: Final = "Id"
COMMUNE_NAME: Final = "Libelle"
COMMUNE_POSTAL_CODE: Final = "CodePostal"
LINK_SUCCESS_CLASS: Final = "alert-success"
# Words of the portal's wizard messages, compared without case or accents.
KEY_ALREADY_USED_WORDS: Final = ("deja", "utilisee")
KEY_OTHER_COMMUNE_WORDS: Final = ("ne correspond pas", "commune")
