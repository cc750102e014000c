"""The starter scripts a new account has on day one: six message templates sellers use every week, written in each
language LTE speaks (not translated word by word). They are the seller's own from the start: edit or delete them.

Placeholders: {first_name}, {last_name}, {full_name} and {my_name} (lte.crm.services.templates.PLACEHOLDER).
"""

from __future__ import annotations

from django.db import transaction

from lte.crm.models import MessageTemplate

# (name, channel, body) per language, in the order they are listed.
STARTER_SCRIPTS: dict[str, list[tuple[str, str, str]]] = {
    "en": [
        ("Invitation", "sms", "Hi {first_name}! It's {my_name}. I'm hosting a small get-together on [day] to show "
         "a few products I love. No pressure at all, I'd just love to see you there. Can you make it?"),
        ("After the presentation", "sms", "Hi {first_name}, thanks so much for coming! What did you like most? "
         "Happy to answer any questions whenever suits you."),
        ("Time to reorder", "sms", "Hi {first_name}! Just checking in: you might be running low by now. "
         "Shall I put your usual order in for you?"),
        ("Happy birthday", "whatsapp", "Happy birthday, {first_name}! 🎉 Wishing you a wonderful day and a great "
         "year ahead. {my_name}"),
        ("Thank you", "sms", "Thank you for your order, {first_name}! It means a lot to me. Let me know how you like "
         "it."),
        ("Catching up", "sms", "Hi {first_name}, it's been a while! How are you doing? I'd love to catch up "
         "sometime soon."),
    ],
    "es": [
        ("Invitación", "sms", "¡Hola, {first_name}! Soy {my_name}. El [día] hago una reunión pequeña para enseñar "
         "unos productos que me encantan. Sin ningún compromiso, me haría mucha ilusión verte. ¿Te apuntas?"),
        ("Después de la presentación", "sms", "Hola, {first_name}, ¡muchas gracias por venir! ¿Qué fue lo que más te "
         "gustó? Si tienes cualquier pregunta, aquí estoy."),
        ("Hora de volver a pedir", "sms", "¡Hola, {first_name}! Te escribo por si ya se te está acabando. "
         "¿Quieres que te prepare tu pedido de siempre?"),
        ("Feliz cumpleaños", "whatsapp", "¡Feliz cumpleaños, {first_name}! 🎉 Que pases un día precioso y que este "
         "año te traiga lo mejor. {my_name}"),
        ("Gracias", "sms", "¡Gracias por tu pedido, {first_name}! Significa mucho para mí. Cuéntame qué te parece."),
        ("Retomar el contacto", "sms", "Hola, {first_name}, ¡cuánto tiempo! ¿Qué tal estás? Me encantaría que nos "
         "pusiéramos al día pronto."),
    ],
    "pt": [
        ("Convite", "sms", "Oi, {first_name}! Aqui é {my_name}. No dia [dia] vou fazer um encontro pequeno para "
         "mostrar alguns produtos que eu adoro. Sem compromisso nenhum, eu ia amar te ver lá. Você topa?"),
        ("Depois da apresentação", "sms", "Oi, {first_name}, que bom que você veio! Do que você mais gostou? "
         "Se tiver qualquer dúvida, é só me chamar."),
        ("Hora de repor", "sms", "Oi, {first_name}! Passando para saber se o seu produto já está acabando. "
         "Quer que eu faça o seu pedido de sempre?"),
        ("Feliz aniversário", "whatsapp", "Feliz aniversário, {first_name}! 🎉 Que o seu dia seja lindo e que este "
         "ano seja incrível. {my_name}"),
        ("Agradecimento", "sms", "Agradeço muito pelo seu pedido, {first_name}! Significa muito para mim. Depois me "
         "conta o que achou."),
        ("Retomar o contato", "sms", "Oi, {first_name}, quanto tempo! Como você está? Adoraria colocar o papo em dia "
         "qualquer hora dessas."),
    ],
    "fr": [
        ("Invitation", "sms", "Bonjour {first_name} ! C'est {my_name}. J'organise une petite rencontre le [jour] pour "
         "présenter quelques produits que j'adore. Sans aucune obligation, ça me ferait très plaisir de vous y "
         "voir. Vous êtes disponible ?"),
        ("Après la présentation", "sms", "Bonjour {first_name}, merci beaucoup d'être venu(e) ! Qu'avez-vous préféré ? "
         "Je reste à votre disposition pour toute question."),
        ("Relance de commande", "sms", "Bonjour {first_name} ! Je me permets de vous écrire : vous arrivez "
         "peut-être bientôt à la fin de votre produit. Voulez-vous que je passe votre commande habituelle ?"),
        ("Joyeux anniversaire", "whatsapp", "Joyeux anniversaire, {first_name} ! 🎉 Je vous souhaite une très belle "
         "journée et une excellente année. {my_name}"),
        ("Merci", "sms", "Merci pour votre commande, {first_name} ! Cela me touche beaucoup. Dites-moi ce que vous en "
         "pensez."),
        ("Reprendre contact", "sms", "Bonjour {first_name}, cela fait longtemps ! Comment allez-vous ? J'aimerais "
         "beaucoup prendre de vos nouvelles bientôt."),
    ],
    "de": [
        ("Einladung", "sms", "Hallo {first_name}! Hier ist {my_name}. Am [Tag] mache ich ein kleines Treffen und zeige "
         "ein paar Produkte, die ich liebe. Ganz unverbindlich, ich würde mich einfach freuen, dich zu sehen. "
         "Hast du Zeit?"),
        ("Nach der Präsentation", "sms", "Hallo {first_name}, danke, dass du da warst! Was hat dir am besten "
         "gefallen? Wenn du Fragen hast, melde dich jederzeit."),
        ("Zeit zum Nachbestellen", "sms", "Hallo {first_name}! Ich wollte kurz nachfragen: Wird dein Produkt langsam "
         "leer? Soll ich deine übliche Bestellung aufgeben?"),
        ("Alles Gute zum Geburtstag", "whatsapp", "Alles Gute zum Geburtstag, {first_name}! 🎉 Ich wünsche dir einen "
         "wunderschönen Tag und ein tolles neues Lebensjahr. {my_name}"),
        ("Danke", "sms", "Danke für deine Bestellung, {first_name}! Das bedeutet mir viel. Sag mir gern, wie es dir "
         "gefällt."),
        ("Wieder melden", "sms", "Hallo {first_name}, lange nichts gehört! Wie geht es dir? Ich würde mich freuen, "
         "bald mal wieder von dir zu hören."),
    ],
}


def starter_scripts(language: str) -> list[tuple[str, str, str]]:
    """The scripts in `language` ('pt-BR' → 'pt'), English for a language we have none in."""
    return STARTER_SCRIPTS.get((language or "en").split("-")[0].lower(), STARTER_SCRIPTS["en"])


@transaction.atomic
def starter_templates_create(*, owner) -> list[MessageTemplate]:
    """Gives a new account its starter scripts, in its language; never twice (an account with templates keeps
    what it has)."""
    if MessageTemplate.objects.owned_by(owner).exists():
        return []
    return MessageTemplate.objects.bulk_create(
        MessageTemplate(owner=owner, name=name, channel=channel, body=body, position=position)
        for position, (name, channel, body) in enumerate(starter_scripts(owner.language)))
