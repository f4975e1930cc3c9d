"""Keyword lists for the dialog tests' classifier (the product's keyword stand-in, fed these lists).

Fixed here, in the tests, so the transcripts do not change when the stand-in's own default lists are tuned
for the benchmark: which category a test sentence lands in is part of what a transcript states.
"""

from __future__ import annotations

from collections.abc import Mapping

IT_KEYWORDS: Mapping[str, tuple[str, ...]] = {
    "access": (
        "password", "login", "log in", "sign in", "locked", "account", "access", "permission", "permissions",
        "mfa", "2fa", "authenticator", "contrasena", "clave", "cuenta", "bloqueada", "bloqueado", "acceso",
        "permiso", "permisos", "codigo mfa", "senha", "conta", "acesso", "permissao", "entrar", "acessar",
    ),
    "email": (
        "email", "e-mail", "outlook", "mailbox", "calendar", "correo", "correos", "buzon", "calendario",
        "caixa de entrada", "e-mails", "emails",
    ),
    "network": (
        "vpn", "wifi", "wi-fi", "network", "internet", "connection", "ethernet", "globalprotect",
        "anyconnect",
        "red", "conexion", "conectar", "rede", "conexao",
    ),
    "hardware": (
        "laptop", "computer", "monitor", "screen", "keyboard", "mouse", "dock", "headset", "webcam", "boot",
        "portatil", "ordenador", "computadora", "pantalla", "teclado", "raton", "no enciende", "no arranca",
        "computador", "notebook", "tela", "nao liga",
    ),
    "printing": (
        "printer", "print", "printing", "scanner", "scan", "toner", "impresora", "imprimir", "imprime",
        "escaner", "escanear", "impressora", "imprimir", "digitalizar",
    ),
    "software": (
        "install", "installed", "licence", "license", "application", "app", "excel", "word", "teams",
        "power bi", "crash", "crashes", "software", "update", "instalar", "instalen", "licencia",
        "aplicacion", "programa", "se cierra", "instale", "licenca", "aplicativo", "trava", "travando",
        "instalem", "visio",
    ),
    "security": (
        "phishing", "suspicious", "virus", "malware", "hacked", "stolen", "ransomware", "sospechoso",
        "robaron", "robado", "hackeado", "suspeito", "roubado", "roubaram", "golpe",
    ),
    "outage": (
        "outage", "down for everyone", "is down", "unavailable", "everyone", "caido", "caida", "para todos",
        "fora do ar", "indisponivel", "todo mundo", "servidor",
    ),
    "data": (
        "file", "files", "folder", "shared drive", "backup", "restore", "onedrive", "sharepoint", "quota",
        "archivo", "archivos", "carpeta", "copia de seguridad", "recuperar", "arquivo", "arquivos", "pasta",
    ),
    "other": (),
}
