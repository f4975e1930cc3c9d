"""A Spanish/Portuguese -> English gloss of help-desk vocabulary, written by hand for this project.

Why: the only labelled ticket data we can train on is English. Users write Spanish and Portuguese. Rather
than a translation model (none is available offline), the classifier glosses es/pt words into the English
words its features know, token by token, before vectorising. The entries were written from the English
training vocabulary (the words that carry the queue/type/priority signal), translated into es and pt with
their common inflections; they were not mined from the evaluation data.

Format: one English gloss per line, ``english words = form form* ...``. Forms are lowercase with accents
removed (``contraseña`` -> ``contrasena``, ``não`` -> ``nao``). A trailing ``*`` makes a form a prefix (it
matches ``factura``, ``facturas``, ``facturación``...); the longest matching form wins and an exact form
beats a prefix. Words with no entry pass through unchanged (product names, cognates such as ``software``).
"""

from __future__ import annotations

_GLOSS = """
dear = estimado estimada estimados estimadas prezado prezada prezados prezadas caro cara caros queridos
team = equipo equipe
support = soporte suporte apoyo apoio
customer = cliente clientes
customer service = atencion atendimento
hello = hola ola
thank you = gracias obrigado obrigada agradezco agradeco agradecemos agradeceria agradeceriamos
regards = saludos atenciosamente cordialmente
please = favor
help = ayuda ayudar ayudarme ayudenos ajuda ajudar ajudem
assistance = asistencia assistencia
need = necesito necesitamos necesita necesitan necesario necesaria necessario necessaria preciso precisamos
need = necessito necessitamos necesidad necessidade
writing = escribo escribir escrevo escrever escribiendo escrevendo
report = reportar reporto reportamos informar informo informamos relatar relato relatamos
report = informe informes relatorio* reporte reportes
experiencing = experimentando enfrentando sufriendo
facing = enfrentamos enfrento
tried = intentado intente intentamos tentei tentamos tentado tentativa* intento* intenta*
persists = persiste persisten persistente persistem continua continuan continuam
issue = inconveniente inconvenientes questao
problem = problema problemas
incident = incidente incidentes incidencia* ocorrencia*
request = solicitud solicitudes solicitar solicito solicitamos solicitacao solicitacoes pedido* peticion*
request = requerimiento* requisicao
change = cambio cambios cambiar mudanca* mudar alteracao alteracoes alterar modificacion* modificacao*
inquiry = consulta consultas consultar pregunta* pergunta* duvida*
information = informacion informacao informacoes informaciones detalles detalhes
question = cuestion
resolve = resolver resuelva resolva solucionar soluciona resolucion* resolucao
solution = solucion soluciones solucao solucoes
investigate = investigar investiguen investiguem revisar revisen revisem
urgent = urgente urgentes urgencia* urgentemente
immediate = inmediat* imediat*
critical = critico critica criticos criticas
important = importante importantes
severe = grave graves severo severa serio seria
soon = pronto breve posible possivel
quick = rapido rapida rapidamente
affected = afectad* afetad* afecta afectan afeta afetam impactad*
impact = impacto impactos impactando
business = negocio negocios empresa* comercial*
operations = operacion* operacao operacoes operativ* operacional*
productivity = productividad produtividade
all = todos todas
time = tiempo tempo
delay = retraso* retrasos atraso* demora*
account = cuenta cuentas conta contas
access = acceso accesos acesso acessar acceder accediendo acessando
password = contrasena* senha senhas clave
user = usuario usuarios usuaria usuarias
login = sesion sessao iniciar ingresar entrar logar
credentials = credencial*
authentication = autenticacion autenticacao autenticar
permissions = permiso* permissao permissoes
locked = bloquead* bloqueio bloqueo
invoice = factura facturas fatura faturas
billing = facturacion faturamento cobranza* cobranca*
charge = cobro cobros cobrado cobrada cobrar cargo cargos
payment = pago pagos pagar pagamento* pagado pagada pago
refund = reembolso* estorno
subscription = suscripcion* assinatura* suscrit* inscricao
price = precio precios preco precos
pricing = tarifa* cotizacion* cotacao orcamento*
fee = cuota* taxa* comision* comissao
discount = descuento* desconto*
card = tarjeta* cartao cartoes
credit = credito creditos
transaction = transaccion* transacao transacoes
renewal = renovacion* renovacao renovar
cancellation = cancelacion* cancelamento* cancelar
duplicate = duplicad* duplicat*
amount = monto montos importe quantia valor valores
bill = recibo recibos
return = devolucion devoluciones devolver devolvi devolucao devolucoes
exchange = cambio troca trocar intercambio
replacement = reemplazo* sustitucion* substituicao substituir reposicao
warranty = garantia garantias
defective = defectuos* defeituos* defecto* defeito*
damaged = danad* danific* roto rota quebrad*
product = producto productos produto produtos
order = pedido pedidos orden ordenes encomenda*
shipping = envio envios envi* remessa
delivery = entrega entregas entregue
purchase = compra compras comprado comprei compre
received = recibido recibida recebido recebida recebi recibi
error = error errores erro erros
failure = fallo fallos falla fallas falha falhas fracaso
failed = fallido fallida fallo falhou falharam
crash = bloquea bloqueia cuelga trava travando travamento* colapso* caida* caiu
frozen = congelad* congela
system = sistema sistemas
server = servidor servidores
network = red redes rede
connection = conexion conexiones conexao conexoes conectar conectado conectada
connectivity = conectividad* conectividade
internet = internet
application = aplicacion aplicaciones aplicacao aplicacoes aplicativo* app
update = actualizacion* atualizacao atualizacoes actualizar atualizar actualice atualize actualizado
install = instalar instalacion* instalacao instalado instalada
configuration = configuracion* configuracao configuracoes configurar ajuste* configurado*
settings = preferencias
device = dispositivo* aparato* aparelho*
printer = impresora* impressora*
laptop = portatil portatiles notebook
computer = ordenador* computadora* computador*
screen = pantalla* tela telas monitor
keyboard = teclado*
email = correo correos correio electronico eletronico
browser = navegador*
data = datos dados
file = archivo* arquivo* fichero*
backup = respaldo* copia copias
security = seguridad seguranca
vulnerability = vulnerabilidad* vulnerabilidade*
attack = ataque ataques
breach = brecha* violacion* violacao vazamento* filtracion*
firewall = cortafuegos
encryption = cifrado criptografia encriptacion*
unauthorized = autorizad* autorizac*
performance = rendimiento desempeno desempenho
slow = lento lenta lentos lentas lentitud lentidao
outage = caida interrupcion* interrupcao interrupcoes corte* apagon queda fora
maintenance = mantenimiento manutencao
service = servicio servicios servico servicos
cloud = nube nuvem
integration = integracion* integracao integrar integrad*
platform = plataforma plataformas
dashboard = panel painel tablero
analysis = analisis analise analitic*
analytics = analitica analytics
tool = herramienta* ferramenta*
synchronization = sincroniza*
restart = reiniciar reinicie reinicio reiniciado reinicializar
reset = restablecer restablecimiento redefinir restaurar
version = version versiones versao versoes
compatibility = compatibilidad compatibilidade compatible compativel incompatib*
license = licencia* licenca*
software = programa programas
storage = almacenamiento* armazenamento*
memory = memoria
disk = disco discos
camera = camara camera
phone = telefono* telefone* movil celular
website = sitio pagina paginas site
loading = carga cargar carregar carregamento
working = funciona funcionan funcionando funcionamiento funcionamento
not = no nao ni nem
stopped = dejo parou detuvo
human resources = rrhh rh
employee = empleado* funcionario* empregado* colaborador* personal
payroll = nomina* folha salario* salarial
vacation = vacaciones ferias
hiring = contratacion contratacao reclutamiento recrutamento
training = capacitacion* formacion treinamento* entrenamiento*
benefits = beneficio* beneficios
onboarding = incorporacion
sales = ventas vendas venta venda
quote = presupuesto*
demo = demostracion* demonstracao
interested = interesad* interessad*
offer = oferta ofertas
marketing = mercadeo
campaign = campana* campanha*
advertising = publicidad publicidade anuncio* propaganda
social media = sociales sociais
strategy = estrategia* estrategica*
growth = crecimiento crescimento
brand = marca marcas
improvement = mejora* melhoria* mejorar melhorar optimiza* otimiza*
implement = implementar implementacion* implementacao
migration = migracion* migracao migrar
project = proyecto* projeto*
documentation = documentacion documentacao manual manuales
guide = guia guias
new = nuevo nueva nuevos nuevas novo nova novos novas
feature = funcionalidad* funcionalidade* funcion funcao recurso*
company = compania companhia firma
help = ayud* ajud* auxili*
resolve = resolv* soluciona*
install = instal*
configuration = configur*
restart = reinici*
reset = restablec* restabelec* redefin* restaur*
update = actualiz* atualiz*
connection = conect*
access = acced* acces* acess*
request = solicit*
investigate = investig*
locked = bloque*
cancellation = cancel*
shows = muestra muestran mostra mostram aparece aparecen
headset = auricular* fone fones audifono* headset
scanner = escaner* scanner
projector = proyector* projetor*
router = enrutador* roteador* router
drivers = controlador* driver drivers
peripherals = periferico*
patch = parche* correcao
plugin = complemento* extension* extensao
instructions = instruccion* instrucao instrucoes
usage = uso
how = como
tutorial = tutorial tutoriales
leads = prospecto*
engagement = participacion engajamento compromiso
billed = facturado* faturado*
discrepancy = discrepancia* divergencia* diferencia*
double = doble dobro duplo
reconciliation = conciliacion conciliacao
statement = extracto extrato
trial = prueba pruebas teste testes
plans = planes planos
subscribe = suscribir* assinar
downtime = inactividad inatividade
unavailable = indisponible indisponivel indisponiveis
available = disponible disponibles disponivel disponiveis
scheduled = programado programada programados agendado agendada
hacked = hackead* hackeo invadid*
theft = robo roubo
suspicious = sospechos* suspeit*
investment = inversion* investimento*
forecasting = prevision* previsao previsoes pronostico*
prediction = prediccion* predicao
model = modelo modelos
delete = eliminar eliminado excluir excluido borrar borrado apagar apagado
recover = recuperar recuperacion recuperacao
lost = perdido perdida perdidos perdidas
loss = perdida perda perdas
unexpected = inesperad*
sudden = repentin* subit*
intermittent = intermitente* esporadic*
frequent = frecuente* frequente* constante* constantemente
recurring = recurrente* recorrente* repetid*
incorrect = incorrect* incorret* erroneo errado errada
inaccurate = inexact* impreci*
inconsistent = inconsistente* inconsistencia*
outdated = desactualizad* desatualizad* obsolet*
unable = imposible impossivel consigo consegue conseguimos logro
trying = intentando tentando
ensure = garantizar asegurar assegurar
expected = esperado esperada
behavior = comportamiento comportamento
message = mensaje* mensage*
notification = notificacion* notificacao notificacoes aviso*
alert = alerta alertas
monitoring = monitoreo monitoramento monitorizacion
traffic = trafico trafego
capacity = capacidad capacidade
scalability = escalabilidad* escalabilidade
infrastructure = infraestructura* infraestrutura*
deployment = despliegue* implantacao
environment = entorno* ambiente*
code = codigo*
development = desarrollo* desenvolvimento*
developer = desarrollador* desenvolvedor*
consulting = consultoria
advice = consejo* conselho* asesoria* assessoria orientacion orientacao
recommendations = recomendacion* recomendacao recomendacoes
guidance = guia
digital = digital digitales digitais
online = linea
store = tienda* loja*
shop = comercio
payment gateway = pasarela
website = web
slow loading = demora
logs = registro* log
audit = auditoria*
compliance = cumplimiento conformidade
regulations = normativa* regulacion* regulamentacao regulamento* regulaciones
sensitive = sensible* sensive*
confidential = confidencial*
protection = proteccion protecao proteger protegido
risk = riesgo* risco*
threat = amenaza* ameaca*
virus = virus
antivirus = antivirus
phishing = phishing
spam = spam
medical = medic* hospital*
patient = paciente*
since = desde
after = despues depois tras
yesterday = ayer ontem
today = hoy hoje
week = semana
"""

# Multi-word expressions, glossed before the single words (matched on accent-free lowercase text).
PHRASES: tuple[tuple[str, str], ...] = (
    ("base de datos", "database"),
    ("bases de datos", "database"),
    ("banco de dados", "database"),
    ("bancos de dados", "database"),
    ("recursos humanos", "human resources"),
    ("inicio de sesion", "login"),
    ("iniciar sesion", "login"),
    ("redes sociales", "social media"),
    ("redes sociais", "social media"),
    ("por favor", "please"),
    ("atencion al cliente", "customer service"),
    ("servicio al cliente", "customer service"),
    ("atendimento ao cliente", "customer service"),
    ("copia de seguridad", "backup"),
    ("folha de pagamento", "payroll"),
    ("correo electronico", "email"),
    ("fuera de servicio", "outage"),
    ("fora do ar", "outage"),
    ("fora de servico", "outage"),
    ("no funciona", "not working"),
    ("nao funciona", "not working"),
    ("lo antes posible", "asap urgent"),
    ("o mais rapido possivel", "asap urgent"),
    ("lo mas pronto posible", "asap urgent"),
    ("mesa de ayuda", "help desk"),
    ("central de ajuda", "help desk"),
    ("soporte tecnico", "technical support"),
    ("suporte tecnico", "technical support"),
    ("codigo de error", "error code"),
    ("codigo de erro", "error code"),
)

_EXACT: dict[str, str] = {}
_PREFIX: dict[str, str] = {}
for _line in _GLOSS.strip().splitlines():
    _target, _, _forms = _line.partition(" = ")
    for _form in _forms.split():
        if _form.endswith("*"):
            _PREFIX.setdefault(_form[:-1], _target)
        else:
            _EXACT.setdefault(_form, _target)
_PREFIX_LENGTHS = sorted({len(p) for p in _PREFIX}, reverse=True)


def gloss_word(word: str) -> str | None:
    """The English gloss of one accent-free lowercase es/pt word, or None when the lexicon lacks it."""
    hit = _EXACT.get(word)
    if hit is not None:
        return hit
    for plural in ("es", "s"):  # problemas -> problema, conexiones -> conexion
        if word.endswith(plural) and len(word) > len(plural) + 2:
            hit = _EXACT.get(word[: -len(plural)])
            if hit is not None:
                return hit
    for n in _PREFIX_LENGTHS:
        if n <= len(word):
            hit = _PREFIX.get(word[:n])
            if hit is not None:
                return hit
    return None


def size() -> int:
    """Number of es/pt forms the lexicon knows (for the model card)."""
    return len(_EXACT) + len(_PREFIX)
