"""HTML pages of the simulated portal.

Known markup (from the live portal): the login form, `validation-summary-errors`,
`select#Filtres_IdMatiere`. Modelled markup (our choice, ASP.NET MVC style): the
account drop-down `select#IdCompte` in the layout and the association wizard; their
paths and field names come from the state's `PortalNames` (a scenario renames them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .state import Account, Commune

from .state import PortalNames, PortalStyle

LOGIN_PATH = "/Usager/Profil/Connexion"
SIGNUP_PATH = "/Usager/Profil/Inscription"
WIZARD_PATH = "/Usager/Profil/AssocierCompte"

LINK_SUCCESS = "Le nouveau compte est maintenant associé !"


@dataclass(frozen=True)
class LayoutContext:
    """What the authenticated layout needs to draw the header and drop-down."""

    email: str
    accounts: Sequence[Account]
    active_id: int | None
    token: str
    markup_changed: bool = False
    names: PortalNames = field(default_factory=PortalNames)
    style: PortalStyle = field(default_factory=PortalStyle)


def _errors(messages: Sequence[str]) -> str:
    if not messages:
        return ""
    items = "".join(f"<li>{escape(message)}</li>" for message in messages)
    return f'<div class="validation-summary-errors"><ul>{items}</ul></div>'


def _document(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <title>{escape(title)} - Ecocito</title>
  <link href="/Content/bootstrap.min.css" rel="stylesheet">
  <link href="/Content/site.css" rel="stylesheet">
</head>
<body>
{body}
  <script src="/Scripts/jquery-3.6.0.min.js"></script>
  <script src="/Scripts/dx.all.js"></script>
</body>
</html>
"""


def _footer() -> str:
    return """  <footer class="footer">
    <p>&copy; Ecocito &ndash; Service de gestion des d&eacute;chets m&eacute;nagers
    &middot; <a href="/Usager/MentionsLegales">Mentions l&eacute;gales</a>
    &middot; <a href="/Usager/Contact">Nous contacter</a></p>
  </footer>"""


def _selected(flag: bool) -> str:
    return ' selected="selected"' if flag else ""


def _account_selector(ctx: LayoutContext) -> str:
    if not ctx.style.drop_down:
        # A portal without the drop-down: at most the header names the one account.
        active = next((a for a in ctx.accounts if a.id == ctx.active_id), None)
        if active is None or not ctx.style.names_account:
            return ""
        return f'<p class="compte-actif">{escape(active.label)}</p>'
    if ctx.markup_changed:
        # "Markup changed": the accounts are shown, but not as the expected select.
        names = "".join(
            f'<li data-compte="{account.id}">{escape(account.label)}</li>'
            for account in ctx.accounts
        )
        return f'<div class="compte-actif"><ul class="liste-comptes">{names}</ul></div>'
    options = "".join(
        f'\n        <option value="{account.id}"{_selected(account.id == ctx.active_id)}>'
        f"{escape(account.label)}</option>"
        for account in ctx.accounts
    )
    names = ctx.names
    return f"""<form action="{names.switch_path}" method="{names.switch_method}" class="form-inline compte-actif">
      <input name="{names.token_field}" type="hidden" value="{escape(ctx.token)}">
      <label for="{names.account_select_id}">Compte</label>
      <select id="{names.account_select_id}" name="{names.account_field}" class="form-control"
              onchange="this.form.submit()">{options}
      </select>
    </form>"""


def layout(ctx: LayoutContext, title: str, content: str) -> str:
    """Authenticated layout: navigation, header with the account drop-down, footer."""
    body = f"""  <nav class="navbar navbar-default">
    <a class="navbar-brand" href="/Usager/Accueil">Ecocito</a>
    <ul class="nav navbar-nav">
      <li><a href="/Usager/Accueil">Accueil</a></li>
      <li><a href="/Usager/Collecte">Mes lev&eacute;es</a></li>
      <li><a href="/Usager/Apport">Mes d&eacute;p&ocirc;ts</a></li>
      <li><a href="/Usager/Facture">Mes factures</a></li>
      <li><a href="/Usager/Profil">Mon profil</a></li>
      <li><a href="/Usager/Profil/Deconnexion">Se d&eacute;connecter</a></li>
    </ul>
  </nav>
  <header class="entete">
    <p class="usager">Connecté en tant que {escape(ctx.email)}</p>
    {_account_selector(ctx)}
  </header>
  <main class="container body-content">
    <h1>{escape(title)}</h1>
{content}
  </main>
{_footer()}"""
    return _document(title, body)


def login_page(errors: Sequence[str] = ()) -> str:
    body = f"""  <main class="container body-content connexion">
    <h1>Connexion &agrave; votre espace usager</h1>
    {_errors(errors)}
    <form action="{LOGIN_PATH}" method="post" class="form-horizontal" role="form">
      <div class="form-group">
        <label for="Identifiant">Adresse e-mail</label>
        <input class="form-control" id="Identifiant" name="Identifiant" type="email" value="">
      </div>
      <div class="form-group">
        <label for="MotDePasse">Mot de passe</label>
        <input class="form-control" id="MotDePasse" name="MotDePasse" type="password">
      </div>
      <div class="checkbox">
        <label><input id="MaintenirConnexion" name="MaintenirConnexion" type="checkbox"
               value="true"> Rester connecté</label>
        <input name="MaintenirConnexion" type="hidden" value="false">
      </div>
      <input id="FranceConnectActif" name="FranceConnectActif" type="hidden" value="False">
      <button type="submit" class="btn btn-primary">Se connecter</button>
    </form>
    <p><a href="/Usager/Profil/MotDePasseOublie">Mot de passe oubli&eacute; ?</a></p>
    <p>Pas encore de compte ?
      <a href="{SIGNUP_PATH}">Je veux ouvrir mon compte Ecocito maintenant</a></p>
  </main>
{_footer()}"""
    return _document("Connexion", body)


def signup_page() -> str:
    body = f"""  <main class="container body-content">
    <h1>Cr&eacute;ation de compte</h1>
    <p>La création d'un compte demande la validation d'un captcha et la confirmation
    de votre adresse e-mail.</p>
    <p><a href="{LOGIN_PATH}">Retour &agrave; la connexion</a></p>
  </main>
{_footer()}"""
    return _document("Inscription", body)


def home_page(ctx: LayoutContext, errors: Sequence[str] = (), notice: str = "") -> str:
    alert = f'    <div class="alert alert-success">{escape(notice)}</div>\n' if notice else ""
    content = f"""{alert}    {_errors(errors)}
    <p>Bienvenue sur votre espace usager. Retrouvez ici vos lev&eacute;es de bacs,
    vos d&eacute;p&ocirc;ts en d&eacute;ch&egrave;terie &amp; vos factures de
    redevance incitative.</p>"""
    return layout(ctx, "Accueil", content)


def collecte_page(ctx: LayoutContext, waste_types: dict[int, str]) -> str:
    if ctx.markup_changed:
        chips = "".join(
            f'<span class="matiere" data-id="{type_id}">{escape(label)}</span>'
            for type_id, label in waste_types.items()
        )
        selector = f'<div class="filtre-matieres">{chips}</div>'
    else:
        options = "".join(
            f'\n        <option value="{type_id}">{escape(label)}</option>'
            for type_id, label in waste_types.items()
        )
        selector = f"""<label for="Filtres_IdMatiere">Mati&egrave;re</label>
      <select id="Filtres_IdMatiere" name="Filtres.IdMatiere" class="form-control">
        <option value="-1">Toutes les matières</option>{options}
      </select>"""
    content = f"""    <form id="filtres" class="form-inline">
      {selector}
      <input id="Filtres_DateDebut" name="Filtres.DateDebut" type="date">
      <input id="Filtres_DateFin" name="Filtres.DateFin" type="date">
    </form>
    <div id="gridCollecte" data-url="/Usager/Collecte/GetCollecte"></div>"""
    return layout(ctx, "Mes levées", content)


def apport_page(ctx: LayoutContext) -> str:
    content = """    <p>Vos d&eacute;p&ocirc;ts en d&eacute;ch&egrave;terie
    &amp; points d'apport.</p>
    <div id="gridApport" data-url="/Usager/Apport/GetApport"></div>"""
    return layout(ctx, "Mes dépôts", content)


def profile_page(ctx: LayoutContext) -> str:
    content = f"""    <h2>Services disponibles</h2>
    <ul class="services">
      <li><a href="{WIZARD_PATH}">Associer un autre compte</a></li>
      <li><a href="/Usager/Profil/ModifierMotDePasse">Modifier mon mot de passe</a></li>
    </ul>"""
    return layout(ctx, "Mon profil", content)


def _hidden(ctx: LayoutContext, step: int) -> str:
    """The wizard form's hidden fields: the token, and the step if the portal wants it."""
    names = ctx.names
    fields = f'<input name="{names.token_field}" type="hidden" value="{escape(ctx.token)}">'
    if names.step_field:
        fields += f'\n      <input name="{names.step_field}" type="hidden" value="{step}">'
    return fields


def wizard_commune_page(ctx: LayoutContext, errors: Sequence[str] = ()) -> str:
    names = ctx.names
    content = f"""    <h2>&Eacute;tape 1 : commune</h2>
    {_errors(errors)}
    <p>Commencez &agrave; saisir le code postal ou le nom de la commune o&ugrave; sont
    produits les d&eacute;chets, puis s&eacute;lectionnez-la dans la liste.</p>
    <form action="{names.wizard_commune_path}" method="post">
      {_hidden(ctx, 1)}
      <input id="Commune" name="{names.commune_text_field}" type="text" class="form-control"
             {names.search_attribute}="{names.search_path}" autocomplete="off">
      <input id="IdCommune" name="{names.commune_id_field}" type="hidden" value="">
      <button type="submit" class="btn btn-primary">Suivant</button>
    </form>"""
    return layout(ctx, "Associer un autre compte", content)


def wizard_key_page(ctx: LayoutContext, commune: Commune, errors: Sequence[str] = ()) -> str:
    names = ctx.names
    content = f"""    <h2>&Eacute;tape 2 : cl&eacute; d'activation</h2>
    {_errors(errors)}
    <p>Commune : <strong>{escape(commune.name)} ({escape(commune.postal_code)})</strong></p>
    <p>La cl&eacute; vous a &eacute;t&eacute; transmise par votre collectivit&eacute;,
    sur une facture ou un autre document personnel.</p>
    <form action="{names.wizard_key_path}" method="post">
      {_hidden(ctx, 2)}
      <label for="CleActivation">Cl&eacute; d'activation</label>
      <input id="CleActivation" name="{names.key_field}" type="text" class="form-control">
      <button type="submit" class="btn btn-primary">Associer</button>
    </form>"""
    return layout(ctx, "Associer un autre compte", content)


def wizard_done_page(ctx: LayoutContext) -> str:
    content = f"""    <h2>&Eacute;tape 3 : termin&eacute;</h2>
    <div class="alert alert-success">{LINK_SUCCESS}</div>
    <p>Vous pouvez le s&eacute;lectionner dans la liste des comptes.</p>"""
    return layout(ctx, "Associer un autre compte", content)


def message_page(message: str) -> str:
    """A page that carries the portal's own message (``div.error``) instead of the content."""
    return _document(
        "Information",
        f"""  <main class="container"><div class="error">{escape(message)}</div></main>""",
    )


def error_page(status: int) -> str:
    """What IIS/ASP.NET shows on 5xx: an HTML body, no login form."""
    title = "Service indisponible" if status == 503 else "Erreur serveur"
    return _document(
        title,
        f"""  <main class="container"><h1>{status} - {title}</h1>
    <p>Le site est momentan&eacute;ment indisponible. Merci de r&eacute;essayer plus tard.</p>
  </main>""",
    )


GARBAGE_HTML = "<html><body><h1>Erreur</h1></body></html>"

HTML_ERROR_PAGE = _document(
    "Erreur",
    """  <main class="container"><h1>Erreur</h1>
    <p>Une erreur s'est produite lors du traitement de votre demande.</p>
  </main>""",
)

TOO_MANY_REQUESTS = _document(
    "Trop de requêtes",
    '  <main class="container"><h1>429 - Trop de requ&ecirc;tes</h1></main>',
)
