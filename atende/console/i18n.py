"""The console's words in es, pt and en. ``t(lang, key, **kw)`` looks a key up (English, then the key itself,
when a language lacks it) and fills ``{placeholders}`` with ``str.format``.

Pages built elsewhere keep their strings in their own module and add them with :func:`register`, so two
branches adding strings do not edit the same dict::

    from atende.console import i18n
    i18n.register({"en": {"queue.title": "Queue"}, "es": {...}, "pt": {...}})
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("es", "pt", "en")
LANGUAGE_NAMES = {"es": "Español", "pt": "Português", "en": "English"}

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "product": "Atende",
        "console": "Agent console",
        "skip": "Skip to content",
        "nav.label": "Main",
        "nav.queue": "Queue",
        "nav.handoffs": "Handoffs",
        "nav.reports": "Reports",
        "nav.agents": "Agents",
        "nav.tokens": "My tokens",
        "language": "Language",
        "language.change": "Change",
        "logout": "Log out",
        "signed_in_as": "Signed in as {name}",
        "login.title": "Log in",
        "login.email": "E-mail",
        "login.password": "Password",
        "login.submit": "Log in",
        "login.failed": "Wrong e-mail or password. After {n} failed attempts in a row an account is locked "
                        "for {minutes} minutes.",
        "login.too_many": "Too many login attempts from this address. Wait a minute and try again.",
        "soon": "This page is coming soon.",
        "tokens.title": "API tokens",
        "tokens.all_title": "All API tokens",
        "tokens.intro": "A personal token lets scripts use the agent API as you: every action is recorded "
                        "with your e-mail. Send it as 'Authorization: Bearer TOKEN'.",
        "tokens.name": "Token name",
        "tokens.create": "Create token",
        "tokens.created": "Your new token is below. Copy it now: it will not be shown again.",
        "tokens.none": "No tokens yet.",
        "tokens.owner": "Owner",
        "tokens.service": "service",
        "tokens.created_at": "Created",
        "tokens.last_used": "Last used",
        "tokens.status": "Status",
        "tokens.active": "active",
        "tokens.revoked": "revoked",
        "tokens.revoke": "Revoke",
        "tokens.never": "never",
        "agents.title": "Agents",
        "agents.email": "E-mail",
        "agents.name": "Name",
        "agents.role": "Role",
        "agents.role.agent": "agent",
        "agents.role.admin": "admin",
        "agents.status": "Status",
        "agents.active": "active",
        "agents.disabled": "disabled",
        "agents.locked": "locked",
        "agents.add": "Add agent",
        "agents.password": "Initial password (at least {n} characters)",
        "agents.new_password": "New password",
        "agents.disable": "Disable",
        "agents.enable": "Enable",
        "agents.reset": "Reset password",
        "agents.added": "Agent {email} added.",
        "agents.updated": "Agent {email} updated.",
        "agents.exists": "An agent with that e-mail exists already.",
        "agents.short_password": "The password needs at least {n} characters.",
        "agents.not_self": "You cannot disable your own account.",
        "agents.invalid": "Not accepted: {reason}",
        "agents.reload": "Reload taxonomy and playbooks",
        "agents.reload_help": "Reads the taxonomy file and the playbook files again; conversations use them "
                              "from their next message.",
        "agents.reloaded": "Taxonomy and playbooks reloaded: {categories} categories, {playbooks} playbooks.",
        "agents.reload_failed": "The files could not be loaded; the previous ones stay in use: {reason}",
        "error.forbidden": "You may not open this page.",
        "error.not_found": "There is no such page.",
    },
    "es": {
        "product": "Atende",
        "console": "Consola de agentes",
        "skip": "Saltar al contenido",
        "nav.label": "Principal",
        "nav.queue": "Cola",
        "nav.handoffs": "Traspasos",
        "nav.reports": "Informes",
        "nav.agents": "Agentes",
        "nav.tokens": "Mis tokens",
        "language": "Idioma",
        "language.change": "Cambiar",
        "logout": "Cerrar sesión",
        "signed_in_as": "Sesión de {name}",
        "login.title": "Iniciar sesión",
        "login.email": "Correo electrónico",
        "login.password": "Contraseña",
        "login.submit": "Entrar",
        "login.failed": "Correo o contraseña incorrectos. Tras {n} intentos fallidos seguidos la cuenta se "
                        "bloquea durante {minutes} minutos.",
        "login.too_many": "Demasiados intentos desde esta dirección. Espera un minuto y vuelve a intentarlo.",
        "soon": "Esta página llegará pronto.",
        "tokens.title": "Tokens de API",
        "tokens.all_title": "Todos los tokens de API",
        "tokens.intro": "Un token personal permite a tus scripts usar la API de agentes en tu nombre: cada "
                        "acción queda registrada con tu correo. Envíalo como 'Authorization: Bearer TOKEN'.",
        "tokens.name": "Nombre del token",
        "tokens.create": "Crear token",
        "tokens.created": "Tu nuevo token está abajo. Cópialo ahora: no se volverá a mostrar.",
        "tokens.none": "Aún no hay tokens.",
        "tokens.owner": "Propietario",
        "tokens.service": "servicio",
        "tokens.created_at": "Creado",
        "tokens.last_used": "Último uso",
        "tokens.status": "Estado",
        "tokens.active": "activo",
        "tokens.revoked": "revocado",
        "tokens.revoke": "Revocar",
        "tokens.never": "nunca",
        "agents.title": "Agentes",
        "agents.email": "Correo electrónico",
        "agents.name": "Nombre",
        "agents.role": "Rol",
        "agents.role.agent": "agente",
        "agents.role.admin": "administrador",
        "agents.status": "Estado",
        "agents.active": "activo",
        "agents.disabled": "desactivado",
        "agents.locked": "bloqueado",
        "agents.add": "Añadir agente",
        "agents.password": "Contraseña inicial (al menos {n} caracteres)",
        "agents.new_password": "Nueva contraseña",
        "agents.disable": "Desactivar",
        "agents.enable": "Activar",
        "agents.reset": "Restablecer contraseña",
        "agents.added": "Agente {email} añadido.",
        "agents.updated": "Agente {email} actualizado.",
        "agents.exists": "Ya existe un agente con ese correo.",
        "agents.short_password": "La contraseña necesita al menos {n} caracteres.",
        "agents.not_self": "No puedes desactivar tu propia cuenta.",
        "agents.invalid": "No aceptado: {reason}",
        "agents.reload": "Recargar taxonomía y guiones",
        "agents.reload_help": "Vuelve a leer el archivo de taxonomía y los guiones de diagnóstico; las "
                              "conversaciones los usan desde su siguiente mensaje.",
        "agents.reloaded": "Taxonomía y guiones recargados: {categories} categorías, {playbooks} guiones.",
        "agents.reload_failed": "No se pudieron cargar los archivos; siguen en uso los anteriores: {reason}",
        "error.forbidden": "No puedes abrir esta página.",
        "error.not_found": "Esa página no existe.",
    },
    "pt": {
        "product": "Atende",
        "console": "Console de agentes",
        "skip": "Pular para o conteúdo",
        "nav.label": "Principal",
        "nav.queue": "Fila",
        "nav.handoffs": "Transferências",
        "nav.reports": "Relatórios",
        "nav.agents": "Agentes",
        "nav.tokens": "Meus tokens",
        "language": "Idioma",
        "language.change": "Mudar",
        "logout": "Sair",
        "signed_in_as": "Sessão de {name}",
        "login.title": "Entrar",
        "login.email": "E-mail",
        "login.password": "Senha",
        "login.submit": "Entrar",
        "login.failed": "E-mail ou senha incorretos. Após {n} tentativas falhas seguidas a conta fica "
                        "bloqueada por {minutes} minutos.",
        "login.too_many": "Tentativas demais a partir deste endereço. Aguarde um minuto e tente de novo.",
        "soon": "Esta página chega em breve.",
        "tokens.title": "Tokens de API",
        "tokens.all_title": "Todos os tokens de API",
        "tokens.intro": "Um token pessoal permite que seus scripts usem a API de agentes em seu nome: cada "
                        "ação fica registrada com o seu e-mail. Envie-o como 'Authorization: Bearer TOKEN'.",
        "tokens.name": "Nome do token",
        "tokens.create": "Criar token",
        "tokens.created": "Seu novo token está abaixo. Copie-o agora: ele não será mostrado de novo.",
        "tokens.none": "Nenhum token ainda.",
        "tokens.owner": "Dono",
        "tokens.service": "serviço",
        "tokens.created_at": "Criado",
        "tokens.last_used": "Último uso",
        "tokens.status": "Estado",
        "tokens.active": "ativo",
        "tokens.revoked": "revogado",
        "tokens.revoke": "Revogar",
        "tokens.never": "nunca",
        "agents.title": "Agentes",
        "agents.email": "E-mail",
        "agents.name": "Nome",
        "agents.role": "Papel",
        "agents.role.agent": "agente",
        "agents.role.admin": "administrador",
        "agents.status": "Estado",
        "agents.active": "ativo",
        "agents.disabled": "desativado",
        "agents.locked": "bloqueado",
        "agents.add": "Adicionar agente",
        "agents.password": "Senha inicial (pelo menos {n} caracteres)",
        "agents.new_password": "Nova senha",
        "agents.disable": "Desativar",
        "agents.enable": "Ativar",
        "agents.reset": "Redefinir senha",
        "agents.added": "Agente {email} adicionado.",
        "agents.updated": "Agente {email} atualizado.",
        "agents.exists": "Já existe um agente com esse e-mail.",
        "agents.short_password": "A senha precisa de pelo menos {n} caracteres.",
        "agents.not_self": "Você não pode desativar a sua própria conta.",
        "agents.invalid": "Não aceito: {reason}",
        "agents.reload": "Recarregar taxonomia e roteiros",
        "agents.reload_help": "Lê de novo o arquivo de taxonomia e os roteiros de diagnóstico; as conversas "
                              "passam a usá-los a partir da próxima mensagem.",
        "agents.reloaded": "Taxonomia e roteiros recarregados: {categories} categorias, "
                           "{playbooks} roteiros.",
        "agents.reload_failed": "Não foi possível carregar os arquivos; os anteriores continuam em uso: "
                                "{reason}",
        "error.forbidden": "Você não pode abrir esta página.",
        "error.not_found": "Essa página não existe.",
    },
}


def register(strings: Mapping[str, Mapping[str, str]]) -> None:
    """Add (or override) strings: ``{"en": {key: text}, "es": {...}, "pt": {...}}``."""
    for lang, table in strings.items():
        if lang not in LANGUAGES:
            raise ValueError(f"unknown console language {lang!r}")
        STRINGS[lang].update(table)


def t(lang: str, key: str, **kw: object) -> str:
    text = STRINGS.get(lang, {}).get(key) or STRINGS["en"].get(key) or key
    return text.format(**kw) if kw else text


def best_language(accept_language: str | None, default: str = "en") -> str:
    """The first of es/pt/en an Accept-Language header names (for the login page, before we know who)."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return default
