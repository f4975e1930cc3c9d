"""The words of the desk pages (queue, ticket, handoff inbox, canned responses) in en, es and pt, added to
the console's catalogue with :func:`atende.console.i18n.register`."""

from __future__ import annotations

EN = {
    "ticket.changed": "This ticket changed since the page was loaded.", "ticket.reload": "Show the changes",
    "nav.canned": "Canned responses",
    "desk.queue": "Queue", "queue.search": "Search", "queue.search_hint": "Reference, title, description "
    "or requester", "queue.filter": "Filter", "queue.clear": "Clear", "queue.empty": "No tickets here.",
    "queue.total": "Tickets: {n}", "queue.live": "Updates live", "queue.sort": "Sort by",
    "queue.prev": "Previous", "queue.next": "Next", "queue.page": "Page {page} of {pages}",
    "view.open": "Open", "view.mine": "Mine", "view.unassigned": "Unassigned", "view.human": "Needs a human",
    "view.all": "All", "views.label": "Views",
    "f.status": "Status", "f.channel": "Channel", "f.category": "Category", "f.priority": "Priority",
    "f.type": "Type", "f.language": "Language", "f.assignee": "Assignee", "f.needs_human": "Needs a human",
    "f.any": "Any", "assignee.anyone": "Anyone", "assignee.me": "Me", "assignee.unassigned": "Unassigned",
    "sort.resolution_due": "Resolution due", "sort.first_response_due": "First response due",
    "sort.-created_at": "Newest", "sort.created_at": "Oldest",
    "col.ref": "Reference", "col.title": "Title", "col.requester": "Requester", "col.status": "Status",
    "col.priority": "Priority", "col.category": "Category", "col.channel": "Channel", "col.due": "Due",
    "col.assignee": "Assignee", "overdue": "overdue", "human": "needs a human", "nobody": "nobody",
    "ticket.conversation": "Conversation", "ticket.diagnosis": "The bot's diagnosis",
    "ticket.requester": "Requester", "ticket.identities": "Linked identities", "ticket.attachments":
    "Attachments", "ticket.log": "Event log", "ticket.details": "Details", "ticket.no_messages":
    "No messages yet.", "ticket.answers": "Answers to the diagnostic questions", "ticket.no_answers":
    "No answers recorded.", "ticket.classification": "Classification", "ticket.model": "Model {v}",
    "ticket.top3": "Top 3", "ticket.kb": "Knowledge-base articles offered", "ticket.no_kb": "None offered.",
    "ticket.kb_solved": "solved it", "ticket.kb_not_solved": "did not solve it", "ticket.created":
    "Created", "ticket.first_response_due": "First response due", "ticket.resolution_due": "Resolution due",
    "ticket.merged_into": "Merged into {ref}.", "ticket.merged_from": "Merged here: {refs}.",
    "ticket.download": "Download", "ticket.not_stored": "not stored", "ticket.csat": "CSAT: {score}/5",
    "who.user": "User", "who.bot": "Bot", "who.agent": "Agent", "who.note": "Internal note",
    "reply.label": "Reply to the requester", "reply.button": "Reply", "reply.sent": "Reply sent.",
    "reply.not_delivered": "Reply saved, but it could not be delivered to the requester yet.",
    "note.label": "Internal note (never sent to the requester)", "note.button": "Add note",
    "note.added": "Note added.", "canned.insert": "Insert", "canned.pick": "Canned response",
    "canned.none": "No canned responses in this language.",
    "edit.title": "Change", "edit.save": "Save changes", "edit.saved": "Saved.", "edit.nothing":
    "Nothing changed.", "assign.me": "Assign to me", "assign.done": "Assigned to you.",
    "merge.title": "Merge this duplicate into another ticket", "merge.into": "Surviving ticket reference",
    "merge.button": "Merge and close this ticket", "merge.done": "Merged into {ref}; this ticket is closed.",
    "desk.no_ticket": "No ticket {ref}.", "desk.not_done": "Not done: {detail}",
    "log.at": "When", "log.kind": "Event", "log.actor": "By", "log.details": "Details",
    "handoffs.title": "Handoffs", "handoffs.waiting": "Waiting for an agent", "handoffs.live":
    "Live now", "handoffs.none_waiting": "Nobody is waiting.", "handoffs.none_live":
    "No live conversations.", "handoffs.take": "Take", "handoffs.open": "Open", "handoffs.release":
    "Hand back to the bot", "handoffs.since": "since {at}", "handoffs.agent": "with {agent}",
    "handoffs.say": "Message to the user", "handoffs.send": "Send", "handoffs.taken": "You are now chatting "
    "with the user; the bot stays silent.", "handoffs.released": "Handed back to the bot.",
    "handoffs.live_here": "Live chat: you are talking to the user; the bot is silent.",
    "canned.title": "Canned responses", "canned.intro": "Texts agents insert into a reply. Placeholders: "
    "{requester_name} and {reference}.", "canned.name": "Title", "canned.language": "Language",
    "canned.body": "Text", "canned.add": "Add", "canned.save": "Save", "canned.delete": "Delete",
    "canned.saved": "Saved.", "canned.deleted": "Deleted.", "canned.empty": "No canned responses yet.",
    "canned.updated": "Updated by {who}",
}

ES = {
    "ticket.changed": "Este ticket cambió desde que se cargó la página.", "ticket.reload": "Ver los cambios",
    "nav.canned": "Respuestas predefinidas",
    "desk.queue": "Cola", "queue.search": "Buscar", "queue.search_hint": "Referencia, título, descripción "
    "o solicitante", "queue.filter": "Filtrar", "queue.clear": "Limpiar", "queue.empty": "No hay tickets.",
    "queue.total": "Tickets: {n}", "queue.live": "Se actualiza en directo", "queue.sort": "Ordenar por",
    "queue.prev": "Anterior", "queue.next": "Siguiente", "queue.page": "Página {page} de {pages}",
    "view.open": "Abiertos", "view.mine": "Míos", "view.unassigned": "Sin asignar",
    "view.human": "Piden una persona", "view.all": "Todos", "views.label": "Vistas",
    "f.status": "Estado", "f.channel": "Canal", "f.category": "Categoría", "f.priority": "Prioridad",
    "f.type": "Tipo", "f.language": "Idioma", "f.assignee": "Asignado a", "f.needs_human":
    "Pide una persona", "f.any": "Cualquiera", "assignee.anyone": "Cualquiera", "assignee.me": "A mí",
    "assignee.unassigned": "Sin asignar", "sort.resolution_due": "Vencimiento de resolución",
    "sort.first_response_due": "Vencimiento de primera respuesta", "sort.-created_at": "Más recientes",
    "sort.created_at": "Más antiguos", "col.ref": "Referencia", "col.title": "Título",
    "col.requester": "Solicitante", "col.status": "Estado", "col.priority": "Prioridad",
    "col.category": "Categoría", "col.channel": "Canal", "col.due": "Vence", "col.assignee": "Asignado",
    "overdue": "vencido", "human": "pide una persona", "nobody": "nadie",
    "ticket.conversation": "Conversación", "ticket.diagnosis": "Diagnóstico del bot",
    "ticket.requester": "Solicitante", "ticket.identities": "Identidades vinculadas",
    "ticket.attachments": "Adjuntos", "ticket.log": "Registro de eventos", "ticket.details": "Detalles",
    "ticket.no_messages": "Aún no hay mensajes.", "ticket.answers": "Respuestas a las preguntas de "
    "diagnóstico", "ticket.no_answers": "Sin respuestas.", "ticket.classification": "Clasificación",
    "ticket.model": "Modelo {v}", "ticket.top3": "Top 3", "ticket.kb": "Artículos ofrecidos",
    "ticket.no_kb": "Ninguno.", "ticket.kb_solved": "lo resolvió", "ticket.kb_not_solved":
    "no lo resolvió", "ticket.created": "Creado", "ticket.first_response_due": "Primera respuesta antes de",
    "ticket.resolution_due": "Resolución antes de", "ticket.merged_into": "Fusionado en {ref}.",
    "ticket.merged_from": "Fusionados aquí: {refs}.", "ticket.download": "Descargar",
    "ticket.not_stored": "no guardado", "ticket.csat": "Satisfacción: {score}/5",
    "who.user": "Usuario", "who.bot": "Bot", "who.agent": "Agente", "who.note": "Nota interna",
    "reply.label": "Respuesta al solicitante", "reply.button": "Responder",
    "reply.sent": "Respuesta enviada.",
    "reply.not_delivered": "Respuesta guardada, pero aún no se pudo entregar al solicitante.",
    "note.label": "Nota interna (nunca se envía al solicitante)", "note.button": "Añadir nota",
    "note.added": "Nota añadida.", "canned.insert": "Insertar", "canned.pick": "Respuesta predefinida",
    "canned.none": "No hay respuestas predefinidas en este idioma.",
    "edit.title": "Cambiar", "edit.save": "Guardar cambios", "edit.saved": "Guardado.",
    "edit.nothing": "Nada cambió.", "assign.me": "Asignarme", "assign.done": "Asignado a ti.",
    "merge.title": "Fusionar este duplicado en otro ticket", "merge.into": "Referencia del ticket que queda",
    "merge.button": "Fusionar y cerrar este ticket", "merge.done": "Fusionado en {ref}; este ticket está "
    "cerrado.", "desk.no_ticket": "No existe el ticket {ref}.", "desk.not_done": "No se hizo: {detail}",
    "log.at": "Cuándo", "log.kind": "Evento", "log.actor": "Quién", "log.details": "Detalles",
    "handoffs.title": "Traspasos", "handoffs.waiting": "Esperando a un agente", "handoffs.live":
    "En directo", "handoffs.none_waiting": "Nadie espera.", "handoffs.none_live":
    "No hay conversaciones en directo.", "handoffs.take": "Atender", "handoffs.open": "Abrir",
    "handoffs.release": "Devolver al bot", "handoffs.since": "desde {at}", "handoffs.agent": "con {agent}",
    "handoffs.say": "Mensaje al usuario", "handoffs.send": "Enviar", "handoffs.taken": "Ahora hablas con "
    "el usuario; el bot guarda silencio.", "handoffs.released": "Devuelto al bot.",
    "handoffs.live_here": "Chat en directo: hablas con el usuario; el bot guarda silencio.",
    "canned.title": "Respuestas predefinidas", "canned.intro": "Textos que los agentes insertan en una "
    "respuesta. Marcadores: {requester_name} y {reference}.", "canned.name": "Título",
    "canned.language": "Idioma", "canned.body": "Texto", "canned.add": "Añadir", "canned.save": "Guardar",
    "canned.delete": "Eliminar", "canned.saved": "Guardado.", "canned.deleted": "Eliminado.",
    "canned.empty": "Aún no hay respuestas predefinidas.", "canned.updated": "Actualizado por {who}",
}

PT = {
    "ticket.changed": "Este ticket mudou desde que a página foi carregada.",
    "ticket.reload": "Ver as mudanças",
    "nav.canned": "Respostas prontas",
    "desk.queue": "Fila", "queue.search": "Pesquisar", "queue.search_hint": "Referência, título, descrição "
    "ou solicitante", "queue.filter": "Filtrar", "queue.clear": "Limpar", "queue.empty": "Nenhum ticket.",
    "queue.total": "Tickets: {n}", "queue.live": "Atualiza ao vivo", "queue.sort": "Ordenar por",
    "queue.prev": "Anterior", "queue.next": "Próxima", "queue.page": "Página {page} de {pages}",
    "view.open": "Abertos", "view.mine": "Meus", "view.unassigned": "Sem responsável",
    "view.human": "Pedem uma pessoa", "view.all": "Todos", "views.label": "Visões",
    "f.status": "Status", "f.channel": "Canal", "f.category": "Categoria", "f.priority": "Prioridade",
    "f.type": "Tipo", "f.language": "Idioma", "f.assignee": "Responsável", "f.needs_human":
    "Pede uma pessoa", "f.any": "Qualquer", "assignee.anyone": "Qualquer um", "assignee.me": "Eu",
    "assignee.unassigned": "Sem responsável", "sort.resolution_due": "Prazo de resolução",
    "sort.first_response_due": "Prazo da primeira resposta", "sort.-created_at": "Mais recentes",
    "sort.created_at": "Mais antigos", "col.ref": "Referência", "col.title": "Título",
    "col.requester": "Solicitante", "col.status": "Status", "col.priority": "Prioridade",
    "col.category": "Categoria", "col.channel": "Canal", "col.due": "Prazo", "col.assignee": "Responsável",
    "overdue": "atrasado", "human": "pede uma pessoa", "nobody": "ninguém",
    "ticket.conversation": "Conversa", "ticket.diagnosis": "Diagnóstico do bot",
    "ticket.requester": "Solicitante", "ticket.identities": "Identidades vinculadas",
    "ticket.attachments": "Anexos", "ticket.log": "Registro de eventos", "ticket.details": "Detalhes",
    "ticket.no_messages": "Ainda não há mensagens.", "ticket.answers": "Respostas às perguntas de "
    "diagnóstico", "ticket.no_answers": "Sem respostas.", "ticket.classification": "Classificação",
    "ticket.model": "Modelo {v}", "ticket.top3": "Top 3", "ticket.kb": "Artigos oferecidos",
    "ticket.no_kb": "Nenhum.", "ticket.kb_solved": "resolveu", "ticket.kb_not_solved": "não resolveu",
    "ticket.created": "Criado", "ticket.first_response_due": "Primeira resposta até",
    "ticket.resolution_due": "Resolução até", "ticket.merged_into": "Mesclado em {ref}.",
    "ticket.merged_from": "Mesclados aqui: {refs}.", "ticket.download": "Baixar",
    "ticket.not_stored": "não guardado", "ticket.csat": "Satisfação: {score}/5",
    "who.user": "Usuário", "who.bot": "Bot", "who.agent": "Agente", "who.note": "Nota interna",
    "reply.label": "Resposta ao solicitante", "reply.button": "Responder", "reply.sent": "Resposta enviada.",
    "reply.not_delivered": "Resposta salva, mas ainda não pôde ser entregue ao solicitante.",
    "note.label": "Nota interna (nunca enviada ao solicitante)", "note.button": "Adicionar nota",
    "note.added": "Nota adicionada.", "canned.insert": "Inserir", "canned.pick": "Resposta pronta",
    "canned.none": "Não há respostas prontas neste idioma.",
    "edit.title": "Alterar", "edit.save": "Salvar alterações", "edit.saved": "Salvo.",
    "edit.nothing": "Nada mudou.", "assign.me": "Atribuir a mim", "assign.done": "Atribuído a você.",
    "merge.title": "Mesclar este duplicado em outro ticket", "merge.into": "Referência do ticket que fica",
    "merge.button": "Mesclar e fechar este ticket", "merge.done": "Mesclado em {ref}; este ticket está "
    "fechado.", "desk.no_ticket": "Não existe o ticket {ref}.", "desk.not_done": "Não feito: {detail}",
    "log.at": "Quando", "log.kind": "Evento", "log.actor": "Quem", "log.details": "Detalhes",
    "handoffs.title": "Transferências", "handoffs.waiting": "Esperando um agente", "handoffs.live":
    "Ao vivo", "handoffs.none_waiting": "Ninguém está esperando.", "handoffs.none_live":
    "Nenhuma conversa ao vivo.", "handoffs.take": "Atender", "handoffs.open": "Abrir",
    "handoffs.release": "Devolver ao bot", "handoffs.since": "desde {at}", "handoffs.agent": "com {agent}",
    "handoffs.say": "Mensagem ao usuário", "handoffs.send": "Enviar", "handoffs.taken": "Agora você fala "
    "com o usuário; o bot fica em silêncio.", "handoffs.released": "Devolvido ao bot.",
    "handoffs.live_here": "Chat ao vivo: você fala com o usuário; o bot fica em silêncio.",
    "canned.title": "Respostas prontas", "canned.intro": "Textos que os agentes inserem numa resposta. "
    "Marcadores: {requester_name} e {reference}.", "canned.name": "Título", "canned.language": "Idioma",
    "canned.body": "Texto", "canned.add": "Adicionar", "canned.save": "Salvar", "canned.delete": "Excluir",
    "canned.saved": "Salvo.", "canned.deleted": "Excluído.",
    "canned.empty": "Ainda não há respostas prontas.",
    "canned.updated": "Atualizado por {who}",
}

STRINGS = {"en": EN, "es": ES, "pt": PT}
