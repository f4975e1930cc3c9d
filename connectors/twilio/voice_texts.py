"""What the IVR itself says (menus, re-prompts, read-backs), per language.

The engine's replies come translated already; these are only the phone-specific sentences around them,
which no other channel needs, so they live with the connector rather than in dialog's i18n texts.
"""

from __future__ import annotations

#: Amazon Polly voices Twilio offers for each of the IVR's languages.
VOICES = {"es-MX": "Polly.Mia", "pt-BR": "Polly.Camila", "en-US": "Polly.Joanna"}
DEFAULT_LANGUAGE = "en-US"

MENU = (
    ("es-MX", "Para español, marque 1 o diga español."),
    ("pt-BR", "Para português, digite 2 ou diga português."),
    ("en-US", "For English, press 3 or say English."),
)

TEXTS: dict[str, dict[str, str]] = {
    "welcome": {
        "es-MX": "Bienvenido a la mesa de ayuda.",
        "pt-BR": "Bem-vindo ao suporte técnico.",
        "en-US": "Welcome to the service desk.",
    },
    "describe": {
        "es-MX": "Por favor, describa su problema.",
        "pt-BR": "Por favor, descreva o seu problema.",
        "en-US": "Please describe your problem.",
    },
    "sorry": {
        "es-MX": "Disculpe, no le entendí.",
        "pt-BR": "Desculpe, não entendi.",
        "en-US": "Sorry, I did not catch that.",
    },
    "not_option": {
        "es-MX": "Esa opción no es válida.",
        "pt-BR": "Essa opção não é válida.",
        "en-US": "That is not one of the options.",
    },
    "answer": {
        "es-MX": "Diga su respuesta o marque el número de la opción.",
        "pt-BR": "Diga a sua resposta ou digite o número da opção.",
        "en-US": "Say your answer or press the number of your choice.",
    },
    "press": {
        "es-MX": "Marque {n} para {label}.",
        "pt-BR": "Digite {n} para {label}.",
        "en-US": "Press {n} for {label}.",
    },
    "reference": {
        "es-MX": "Su número de referencia es: {ref}.",
        "pt-BR": "O seu número de referência é: {ref}.",
        "en-US": "Your reference is: {ref}.",
    },
    "reference_sms": {
        "es-MX": "Mesa de ayuda: su referencia es {ref}.",
        "pt-BR": "Suporte técnico: a sua referência é {ref}.",
        "en-US": "Service desk: your reference is {ref}.",
    },
    "record": {
        "es-MX": "Puede dejar un mensaje después del tono. Marque numeral al terminar.",
        "pt-BR": "Pode deixar uma mensagem após o sinal. Digite cerquilha ao terminar.",
        "en-US": "You can leave a message after the tone. Press the pound key when you are done.",
    },
    "recorded": {
        "es-MX": "Su mensaje fue grabado.",
        "pt-BR": "A sua mensagem foi gravada.",
        "en-US": "Your message was recorded.",
    },
    "goodbye": {
        "es-MX": "Gracias por llamar. Adiós.",
        "pt-BR": "Obrigado por ligar. Até logo.",
        "en-US": "Thank you for calling. Goodbye.",
    },
}


def text(key: str, language: str, **values: str) -> str:
    table = TEXTS[key]
    return table.get(language, table[DEFAULT_LANGUAGE]).format(**values)


def voice(language: str) -> str:
    return VOICES.get(language, VOICES[DEFAULT_LANGUAGE])
