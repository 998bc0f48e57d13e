"""Edge calls to action: short lines at the top or bottom of an article that speak to the reader.

The rule packs name boilerplate families by wording; feeds keep inventing new wordings ("Receive
the news of X on your cell phone: enter our channel on WhatsApp."). This module scores what such
lines share instead of what they say, so ``cleaners.boilerplate`` can remove the ones no rule
names, under the rule id ``edge.cta`` (switchable like any rule).

Tag, then decide: ``score_call(text)`` returns a score and the features behind it; the caller
removes a unit only when

- it is short (at most ``MAX_WORDS`` words),
- it sits in the leading or trailing block of the article: nothing but other removed boilerplate
  between it and the article's edge (at most ``MAX_PER_EDGE`` scored units per edge),
- enough content stays (``MIN_CONTENT_LEFT`` units, and the scored lines are at most
  ``MAX_SHARE`` of the article's words: a short feed item that is mostly an appeal is left whole,
  a scorer is not sure enough to empty an article), and
- the score reaches ``CleanSettings.edge_call_threshold`` (inside the article, the threshold plus
  ``NEXT_TO_WIDGET_MARGIN`` next to a removed line, plus ``MID_MARGIN`` alone, and never with
  reporting or quotation marks: "Join 4,200 readers who get our island news ..." in a sign-up
  card, "We rely on readers like you ... Become a member today." between two paragraphs), and one feature is an anchor
  (``ANCHORS``: the site or its products, a platform, page chrome, or a strong imperative) and
  one an action (``ACTIONS``: a call verb, page chrome, provenance); without both the score is
  at most 0.

Features (weights in ``WEIGHTS``), in English, Spanish, Portuguese, French, German and Italian,
machine-translated wordings included:

- a call verb: strong ("subscribe", "sign up", "never miss", "continue reading", "log in",
  "chip in") or weak ("download", "join", "follow", "receive", "get", "enter", "listen", "ask");
- second-person address ("you", "your", "vous", "usted", "você", "Sie");
- self-reference to the site or its products ("our newsletter/app/channel/reporters", "this
  post") and platforms (WhatsApp, Telegram, Google News, Patreon, Ko-fi, RSS ...);
- provenance chrome ("first ran in", "republished here");
- arrows and glyphs (→ » ← ·), URLs (a bare domain with a path counts: "site.example/impact"),
  "4 min" reading/listening times;
- a question put to the reader before the call ("Want more local news? Sign up ..."), a sign-up
  form's small print or success message ("No spam", "Check your inbox to confirm");
- page chrome with its own shape (enough alone): taxonomy labels ("Tags: a, b, c", "Filed
  Under: ..."), "Source: <headline> — <Site>", "Continue reading <headline> at <Site>.",
  older/newer post navigation, "Listen to this article", "Reading time: 3 min".

Sign-up cards (``cleaners.boilerplate`` applies these): at an edge, a short line right next to a
removed sign-up line (``CARD_RULES``) needs ``CARD_MARGIN`` less (the card's heading, "Sign up for
The Ridge Report"), and goes without a call when ``is_card_heading`` says it names the product
("The Harbour Courier weekly", "Morning Briefing"); inside the text, a line beside a removed sign-up line goes when
``is_card_blurb`` says it describes the product and its schedule ("Independent local news from X,
free every Tuesday"). Neither applies to public-safety lines (``is_safety``).

Negative features keep reporting out: reporting verbs ("said", "according to", "dijo", "sagte"),
quotation marks, and figures other than a reading time. A line scoring below the threshold but
above half of it is a near miss (``feedscrub clean --explain``).

What this module is not for: boilerplate in the middle of an article, long appeals (the rule
packs' job), or a site's own recurring lines (``cleaners.learned``).
"""

from __future__ import annotations

import re

__all__ = [
    "ACTIONS",
    "ANCHORS",
    "BLURB_MAX_WORDS",
    "CARD_MARGIN",
    "MAX_PER_EDGE",
    "MAX_SHARE",
    "MAX_WORDS",
    "MID_HINTS",
    "MID_MARGIN",
    "MIN_CONTENT_LEFT",
    "NEXT_TO_WIDGET_MARGIN",
    "WEIGHTS",
    "is_card_blurb",
    "is_card_heading",
    "is_safety",
    "score_call",
]

MAX_WORDS = 40
MAX_PER_EDGE = 6
MIN_CONTENT_LEFT = 3
MAX_SHARE = 0.3  # the scored removals at both edges take at most this share of the words
# inside the article a line must score this much above the threshold: next to a removed widget
# line ("Get X in your inbox" / "Sign up"), or standing alone between paragraphs of the story
NEXT_TO_WIDGET_MARGIN = 1.0
MID_MARGIN = 2.5
# at an edge, a short line right next to a removed sign-up line (a card's heading: "Sign up for The
# Ridge Report" over "Get the latest stories delivered straight to your inbox.") needs this much less
CARD_MARGIN = 1.0
CARD_MAX_WORDS = 10
# rules whose removed lines make a sign-up card (ids matched by search)
CARD_RULES = re.compile(r"newsletter|signup|subscri|alerts|edge\.cta")
# a line inside the article is scored only when it holds one of these (lowercase): most
# paragraphs of a story hold none, and scoring every one would double the step's cost
MID_HINTS = ("you", "our ", "newsletter", "subscri", "sign up", "sign-up", "join", "follow", "download",
             "donat", "member", "app ", "whatsapp", "telegram", "google news", "podcast", "inbox",
             "readers", "nuestr", "suscr", "sígu", "sigu", "nosso", "nossa", "notre", "vous", "usted",
             "você", " sie ", "ihr", "unser", "nostr", "iscriv", "abonn", "assin", "clic", "click")

WEIGHTS = {
    "strong_call": 3.0,  # a strong call verb opening a sentence (imperative)
    "strong_verb": 1.5,  # ... inside one ("residents can sign up at city hall")
    "call": 2.0,
    "verb": 0.5,
    "second_call": 1.0,  # two different call verbs, one opening a sentence ("Join X and never miss")
    "you": 1.5,
    "our_product": 1.5,
    "self": 1.0,
    "product": 1.0,
    "platform": 1.0,
    "provenance": 2.0,
    "glyph": 1.0,
    "url": 1.0,
    "minutes": 1.5,
    "audience": 1.5,  # the readership as a crowd to join: "4,200 readers", "readers like you"
    "fineprint": 2.0,  # a sign-up form's small print: "No spam, unsubscribe anytime"
    "hook": 1.5,  # a question put to the reader first: "Want more local news? Sign up ..."
    "chrome": 4.0,
    "reporting": -3.0,
    "quote": -1.0,
    "figure": -0.5,
}

# a call must point at the site, its products or its pages, or be a strong imperative: "Get a
# discount off your first order" (a sponsor read in show notes) is not enough alone
ANCHORS = frozenset(
    {"strong_call", "our_product", "product", "self", "platform", "provenance", "chrome", "minutes", "url",
     "audience", "fineprint", "hook"}
)
# ... and it must ask for something (a call verb) or be page chrome: "How to grow your podcast
# on YouTube" names a product and speaks to the reader, but calls for nothing
ACTIONS = frozenset({"strong_call", "strong_verb", "call", "verb", "chrome", "provenance", "fineprint"})

_I = re.IGNORECASE
_STRONG_VERB = re.compile(
    r"\b(?:subscribe|sign up|sign-up|never miss|don[’']?t miss|do not miss|continue reading|keep reading"
    r"|read more|log in|sign in|chip in|buy us a coffee|(?:da|d[ée]|haz|haga|dale) clic|(?:like|comment) and share|share (?:this|the) (?:post|article|story)|(?:don[’']?t|do not) forget to (?:like|share|subscribe|follow us|comment)|clica|clique aqui|cliquez ici|klicken sie hier|clicca qui|become a (?:member|subscriber|patron|supporter)(?! (?:of|at|in) (?:(?:the|a|an|your|his|her|their) )?(?-i:[a-z])(?!ur\b|s\b))"
    r"|become an? (?-i:[A-Z][\w’'&-]*)(?: (?-i:[A-Z][\w’'&-]*)){0,3} (?:member|subscriber|insider|supporter|patron)"
    r"|hazte (?:socio|suscriptor|miembro)|torne-se (?:assinante|membro|apoiador)|devenez (?:abonn[ée]|membre)|werden sie (?:mitglied|abonnent)|diventa (?:socio|abbonato|sostenitore)"
    r"|stay (?:informed|up to date|up-to-date|tuned|connected)"
    r"|suscr[ií]b[ea]\w*|no te pierdas|no se pierda|mantente informad[oa]|sigue leyendo|lee m[aá]s"
    r"|assine|inscreva-se|n[ãa]o perca|fique (?:por dentro|informad[oa])|continue lendo|leia mais"
    r"|abonnez-vous|inscrivez-vous|ne manquez|restez inform[ée]s?|lire la suite|connectez-vous"
    r"|abonnieren|verpassen sie|nichts mehr verpassen|bleiben sie informiert|weiterlesen"
    r"|iscriviti|abbonati|non perdere|resta aggiornat[oi]|continua a leggere)\b",
    _I,
)
_VERB = re.compile(
    r"\b(?:download|grab|join|follow|discover|explore|back|find|accompany|acompanhe|acompa[ñn]a|encuentra|encontre"
    r"|retrouvez|finden sie|trova|descubre|descubra|d[ée]couvrez|entdecken sie|scopri|receive|get|enter|install|activate|listen|share|comment|register"
    r"|support|donate|ask|tell us|click|tap|send us|contact us|check out"
    r"|descarga|descargue|[úu]nete|s[íi]guenos|seguirnos|recibir|suscribirte|recibe|reciba|reg[íi]strate|comparte|comenta|apoya|dona"
    r"|entra|ingresa|activa|escucha"
    r"|baixe|descarregue|siga|receba|entre|junte-se|participe|compartilhe|partilhe|comente|apoie|ative"
    r"|ou[çc]a"
    r"|t[ée]l[ée]chargez|rejoignez|suivez|recevez|partagez|commentez|soutenez|[ée]coutez|activez"
    r"|laden sie|herunterladen|folgen sie|folge uns|erhalten sie|melden sie sich|registrieren"
    r"|unterst[üu]tzen sie|h[öo]ren sie"
    r"|scarica|seguici|ricevi|unisciti|condividi|commenta|sostieni|ascolta|attiva)\b",
    _I,
)
_YOU = re.compile(r"\b(?:you|your|yours|yourself|vous|votre|vos|usted|ustedes|você|vocês)\b", _I)
_YOU_DE = re.compile(r"(?<![.!?:]\s)(?<!^)\b(?:Sie|Ihre?[mnrs]?)\b")
_OUR_PRODUCT = re.compile(
    r"\b(?:our|nuestr[oa]s?|nosso|nossa|nossos|nossas|notre|nos|unser(?:e[mnrs]?)?|nostr[oaie])"
    r"(?: [\w-]+){0,3} (?:newsletters?|app|apps|application|channel|canal|cha[îi]ne|kanal|canale"
    r"|podcasts?|website|site|sitio|página|seite|sito|reporters|journalists|team|newsroom|alerts"
    r"|briefing|aplicaci[óo]n|aplicativo|applicazione|community|comunidad|comunidade|communaut[ée]"
    r"|gemeinschaft|comunit[àa]|journalism|periodismo|jornalismo|journalisme|journalismus|giornalismo"
    r"|section|secci[óo]n|sec[çc][ãa]o|rubrique|rubrik|sezione|profiles?|perfil|profil|profilo"
    r"|articles|stories|content|coverage|news|updates|reporting|homepage|home page|startseite|portada|p[áa]gina principal"
    r"|p[áa]gina inicial|page d[’']accueil|notas|noticias|not[íi]cias|nouvelles|nachrichten|notizie)\b",
    _I,
)
_SELF = re.compile(
    r"\b(?:this (?:post|article|story|newsletter|page|site|website)|reader-supported"
    r"|(?:like|liked|enjoy|enjoyed) (?:what you(?:[’']ve)? (?:just )?read|this|reading)"
    r"|(?:more|all the|any|the latest)(?: [\w-]+){0,3}? (?:news|stories|headlines)"
    r"|(?:independent|non-?profit|reader-funded|community|free|quality) (?:local )?(?:news|journalism|reporting|information|press|media)"
    r"|(?:informaci[óo]n|periodismo|prensa) (?:libre|independiente|de calidad)|(?:informa[çc][ãa]o|jornalismo|imprensa) (?:livre|independente|de qualidade)"
    r"|(?:information|journalisme|presse) (?:libre|ind[ée]pendante?|de qualit[ée])|unabh[äa]ngige[nr]? (?:journalismus|information|presse)"
    r"|(?:informazione|giornalismo|stampa) (?:libera|libero|indipendente|di qualit[àa])"
    r"|(?:m[áa]s|todas las) noticias|(?:mais|todas as) not[íi]cias|(?:plus d[’'])?actualit[ée]s"
    r"|(?:alle|mehr) nachrichten|(?:tutte le|altre) notizie"
    r"|(?:non-?profit|independent|reader-funded|member-supported) newsroom"
    r"|your (?:donation|gift|support|membership|contribution)|tu (?:donaci[óo]n|apoyo)|sua (?:doa[çc][ãa]o|contribui[çc][ãa]o)"
    r"|votre (?:don|soutien)|ihre (?:spende|unterst[üu]tzung)|il tuo (?:sostegno|contributo))\b",
    _I,
)
_PRODUCT = re.compile(
    r"\b(?:newsletters?|apps?|application|aplicativo|aplicaci[óo]n|applicazione|appli|bolet[íi]n"
    r"|notifica(?:tions?|ciones|[çc][õo]es|zioni)|benachrichtigungen|alertas|avisos"
    r"|cell ?phone|mobile phone|smartphone|celular|m[óo]vil|telem[óo]vel|cellulare|handy"
    r"|push notifications?|(?:your|the) inbox"
    r"|subscribers|podcast|whatsapp channel|(?:morning|daily|weekly|evening) briefing"
    r"|unlimited (?:digital )?access|acceso ilimitado|acesso ilimitado|acc[èe]s illimit[ée]|unbegrenzte[nr]? zugang|accesso illimitato)\b",
    _I,
)
_PLATFORM = re.compile(
    r"\b(?:whatsapp|telegram|google news|instagram|facebook|tiktok|youtube|patreon"
    r"|ko-fi|rss|app store|google play|iphone|android|substack)\b",
    _I,
)
_PROVENANCE = re.compile(
    r"\b(?:first (?:ran|appeared) (?:in|on)|republished (?:here|with permission|via)"
    r"|via rss)\b",
    _I,
)
_AUDIENCE = re.compile(
    r"(?:\b\d[\d,.]*\s*(?:k|mil)?|\b(?:thousands|millions|miles|milhares|des milliers|tausende|migliaia) (?:of|de|von|di))"
    r"\s+(?:other |fellow |de )?(?:readers|subscribers|members|followers|lectores|suscriptores|leitores|assinantes"
    r"|lecteurs|abonn[ée]s|leser(?:innen)?|abonnenten|lettori|iscritti)\b"
    r"|\b\d[\d,.]*\s*(?:k\s+)?(?:[\w-]+ ){1,2}(?:read|get|receive|rely on|trust|open|start their (?:day|morning) with"
    r"|subscribe to|already subscribe|leen|reciben|conf[íi]an en|l[êe]em|recebem|lisent|re[çc]oivent|lesen|erhalten"
    r"|leggono|ricevono) (?:our|nuestr[oa]s?|nosso|nossa|notre|nos|unser\w*|nostr[oaie]|the \w+ (?:newsletter|briefing))\b"
    r"|\b(?:community|family|club|circle) of (?:our |its )?(?:readers|subscribers|members|supporters)\b"
    r"|\bcomunidad de (?:nuestros )?(?:lectores|suscriptores)\b|\bcomunidade de (?:nossos )?(?:leitores|assinantes)\b"
    r"|\bcommunaut[ée] de (?:nos )?(?:lecteurs|abonn[ée]s)\b|\bleser(?:innen)?-?gemeinschaft\b|\bcomunit[àa] (?:dei|di) (?:nostri )?lettori\b"
    r"|\b(?:readers|people|supporters) like you\b|\blectores como (?:t[úu]|usted)\b|\bleitores como voc[êe]\b"
    r"|\blecteurs comme vous\b|\bleser(?:innen)? wie sie\b|\blettori come te\b",
    _I,
)
_FINEPRINT = re.compile(
    r"\b(?:no spam|unsubscribe (?:at )?any ?time|cancel any ?time|opt out any ?time|sin spam|date de baja cuando quieras"
    r"|cancela cuando quieras|sem spam|cancele quando quiser|pas de spam|d[ée]sabonnez-vous [àa] tout moment"
    r"|kein spam|jederzeit abbestellbar|jederzeit k[üu]ndbar|niente spam|disiscriviti quando vuoi"
    # a sign-up form's success message: "Great! Check your inbox and click the link to confirm"
    r"|check your (?:inbox|e-?mail)|confirm your (?:subscription|sign-?up|e-?mail(?: address)?)"
    r"|thanks? (?:you )?for (?:subscribing|signing up)|you[’']?(?:re| are) (?:now )?subscribed"
    r"|revisa tu (?:bandeja|correo)|confirma tu suscripci[óo]n|gracias por suscribirte"
    r"|verifique (?:sua caixa|seu e-?mail)|confirme (?:sua|a sua) (?:inscri[çc][ãa]o|assinatura)|obrigad[oa] por se inscrever"
    r"|v[ée]rifiez votre (?:bo[îi]te|e-?mail|messagerie)|confirmez votre (?:inscription|abonnement)|merci de votre inscription"
    r"|pr[üu]fen sie ihr(?:en)? (?:posteingang|e-?mail-postfach|postfach)|best[äa]tigen sie ihre (?:anmeldung|e-?mail-adresse)"
    r"|controlla la tua (?:casella|e-?mail|posta)|conferma la tua iscrizione|grazie per esserti iscritt[oa])\b",
    _I,
)
# a question put to the reader before the call: "Want more local news?", "Enjoying this story?"
_HOOK = re.compile(
    r"(?:^|[.!]\s+)(?:(?:want|looking for|need|craving|hungry for|interested in|love|like|liked|enjoy(?:ing|ed)?|"
    r"did you (?:like|enjoy))\b[^?.!]{0,60}\?"
    r"|¿(?:quieres|quiere|te gust[óa]|le gust[óa]|buscas)[^?.!]{0,60}\?|(?:quer|gostou|curtiu)\b[^?.!]{0,60}\?"
    r"|(?:vous voulez|envie d|vous aimez|vous avez aim[ée])[^?.!]{0,60}\?"
    r"|(?:sie wollen|wollen sie|lust auf|gef[äa]llt ihnen|hat ihnen)[^?.!]{0,60}\?"
    r"|(?:vuoi|ti [èe] piaciut[oa]|ti piace)[^?.!]{0,60}\?)",
    _I,
)
# public-safety sign-ups (an emergency office's text alerts): never taken for a card's heading or
# blurb on weaker evidence (``is_card_blurb``, ``is_safety``)
_SAFETY = re.compile(
    r"\b(?:emergency|evacuat\w*|sheriff|police|fire (?:department|district|service)|public safety|weather service"
    r"|flood (?:warnings?|alerts?)|wildfire|tornado|hurricane|tsunami|earthquake|amber alerts?|civil (?:defen[cs]e|protection)"
    r"|emergencia|emerg[êe]ncia|protecci[óo]n civil|prote[çc][ãa]o civil|defesa civil|urgence|s[ée]curit[ée] civile"
    r"|notfall|katastrophenschutz|emergenza|protezione civile)\b",
    _I,
)
# what a sign-up card's blurb says about the product: when it comes, and that it is free
_SCHEDULE = re.compile(
    r"\b(?:every (?:morning|evening|day|weekday|week|month|(?:mon|tues|wednes|thurs|fri|satur|sun)day)|daily|weekly"
    r"|twice a (?:week|month)|once a (?:week|month)|delivered|straight to your|in your inbox|free|for free"
    r"|cada (?:ma[ñn]ana|semana|d[íi]a|lunes|martes|mi[ée]rcoles|jueves|viernes|s[áa]bado|domingo)|gratis|gratuit[oae]s?"
    r"|toda (?:manh[ãa]|semana)|todas as (?:manh[ãa]s|semanas)|todos os dias|semanal|di[áa]ri[oa]"
    r"|chaque (?:matin|semaine|jour|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)|quotidienne?|hebdomadaire"
    r"|jeden (?:morgen|tag|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag)|t[äa]glich|w[öo]chentlich|kostenlos"
    r"|ogni (?:mattina|settimana|giorno|luned[ìi]|marted[ìi]|mercoled[ìi]|gioved[ìi]|venerd[ìi]|sabato|domenica)|settimanale|quotidiana)\b",
    _I,
)
BLURB_MAX_WORDS = 20
HEADING_MAX_WORDS = 6
# what a sign-up card's heading calls the product ("The Ridge Report weekly", "Evening Briefing")
_PRODUCT_NAME = re.compile(
    r"\b(?:newsletters?|briefings?|bulletins?|digest|weekly|daily|round-?up|dispatch|edition|letter|brief"
    r"|wrap|recap|alerts|inbox|bolet[íi]n|newsletter|infolettre|lettre|rundbrief|notiziario)\b",
    _I,
)


def is_safety(text: str) -> bool:
    """Does the line point at a public-safety service (emergency alerts, the sheriff, a flood warning)?"""
    return bool(_SAFETY.search(text))


def is_card_heading(text: str) -> bool:
    """A sign-up card's heading next to its removed sign-up line ("The Harbour Courier weekly"):
    a short title-like line (capitalised, no sentence end) naming a newsletter-like product; never
    reporting, quotes or public-safety alerts. The caller checks the neighbour and the edge."""
    t = text.strip()
    if not t or t.count(" ") >= HEADING_MAX_WORDS or not t[0].isupper() or t.endswith((".", "?", "!", ",", ";")):
        return False
    if _QUOTE.search(t) or _REPORTING.search(t) or _SAFETY.search(t):
        return False
    return bool(_PRODUCT_NAME.search(t))


def is_card_blurb(text: str) -> bool:
    """A sign-up card's blurb next to its removed heading or button ("Independent local news from
    Port Alder, free every Tuesday and Friday."): short, about the site or its product, and when or
    how it comes; never reporting, quotes or public-safety alerts. The caller checks the neighbour."""
    if text.count(" ") >= BLURB_MAX_WORDS or _QUOTE.search(text) or _REPORTING.search(text) or _SAFETY.search(text):
        return False
    about = bool(_SELF.search(text) or _OUR_PRODUCT.search(text) or _PRODUCT.search(text) or _YOU.search(text))
    return about and bool(_SCHEDULE.search(text) or _FINEPRINT.search(text))


_GLYPH = re.compile(r"[→←»«›‹·▶►➔➜]")
_URL = re.compile(
    r"https?://|www\.|\b[\w-]+\.(?:com|org|net|info|news|io|co|gov|edu|example)\b"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?-i:[a-z]{2,})/[\w/-]",  # a domain with a path: "site.example/impact"
    _I,
)
_MINUTES = re.compile(
    r"\b\d{1,2} ?(?:min|mins|minutes?|minutos?|minuti)\b(?: (?:read|listen|de lectura"
    r"|de leitura|de lecture|lesezeit|di lettura))?",
    _I,
)
_CHROME = re.compile(
    r"^(?:(?:tags?|tagged(?: with)?|labels?|keywords|filed under|categor(?:y|ies)|posted in|topics|etiquetas|temas"
    r"|palabras clave|palavras-chave|parole chiave|schlagworte"
    r"|mots-cl[ée]s|schlagw[öo]rter|argomenti)\s*:\s*[^.!?]{1,200}"
    r"|(?:continue|keep) reading .{5,200} (?:at|on) [A-Z][^.!?]{1,60}[.!]?"
    r"|source\s*:\s*.{10,200}\s[—–|]\s[A-Z][^.!?]{1,60}"
    r"|[←«‹]?\s*(?:older|newer|previous|next|earlier|later) (?:post|article|story|entry)s?\s*[→»›]?"
    r"|(?:listen to|hear|play) (?:this|the) (?:article|story)\b[^.!?]{0,40}"
    r"|audio version of (?:this|the) (?:article|story)\b[^.!?]{0,40}"
    r"|(?:estimated )?(?:reading|listening|read|listen) time\s*:?\s*(?:about |approx\.? )?\d{1,2} ?min(?:ute)?s?"
    r"|\d{1,2} ?min(?:ute)?s? (?:read|listen)"
    r"|(?:tiempo de lectura|tempo de leitura|temps de lecture|lesezeit|tempo di lettura)\s*:?\s*\d{1,2} ?"
    r"min(?:uto|utos|utes|uten|uti)?s?)$",
    _I,
)
_REPORTING = re.compile(
    r"\b(?:said|says|told|asked|urged|according to|announced|stated|added|reported|dijo|afirm[óo]|seg[úu]n|declar[óo]"
    r"|disse|afirmou|segundo|a d[ée]clar[ée]|selon|sagte|laut|erkl[äa]rte|ha detto|secondo)\b",
    _I,
)
_QUOTE = re.compile(r"[\"“”„«»]")
_FIGURE = re.compile(r"\d")


def score_call(text: str) -> tuple[float, list[str]]:
    """Score one short line as a call to action or page chrome: ``(score, features)``.

    Each feature counts once; see ``WEIGHTS``. The caller checks length and position.
    """
    feats: list[str] = []
    if _CHROME.match(text.strip()):
        feats.append("chrome")
    strong = [m.group().lower() for m in _STRONG_VERB.finditer(text)]
    weak = [m.group().lower() for m in _VERB.finditer(text)]
    opening = _opens_sentence(text, _STRONG_VERB) or _opens_sentence(text, _VERB)
    if strong:
        feats.append("strong_call" if opening else "strong_verb")
    elif weak:
        feats.append("call" if opening else "verb")
    if opening and len(set(strong + weak)) >= 2:  # "Join X and never miss ...": an imperative run
        feats.append("second_call")
    if _YOU.search(text) or _YOU_DE.search(text):
        feats.append("you")
    if _OUR_PRODUCT.search(text):
        feats.append("our_product")
    elif _PRODUCT.search(text):
        feats.append("product")
    if _SELF.search(text):
        feats.append("self")
    for name, rx in (
        ("platform", _PLATFORM),
        ("provenance", _PROVENANCE),
        ("glyph", _GLYPH),
        ("url", _URL),
        ("audience", _AUDIENCE),
        ("fineprint", _FINEPRINT),
        ("hook", _HOOK),
        ("reporting", _REPORTING),
        ("quote", _QUOTE),
    ):
        if rx.search(text):
            feats.append(name)
    minutes = _MINUTES.search(text)
    if minutes:
        feats.append("minutes")
    if _FIGURE.search(_AUDIENCE.sub("", _MINUTES.sub("", text))):
        feats.append("figure")
    if not ANCHORS.intersection(feats) or not ACTIONS.intersection(feats):
        return min(sum(WEIGHTS[f] for f in feats), 0.0), feats
    return sum(WEIGHTS[f] for f in feats), feats


# what may stand before an imperative: nothing, a sentence end, or an opening clause ("To stay
# informed, subscribe ...", "If you enjoyed this, ...", "Para no perderte nada, ...")
_OPENING = re.compile(
    r"(?:^|[.!?:;]\s+|^[\W_]+|(?:^|[.!?:;]\s+)(?:to|if|for|para|pour|per|se|si|um|wenn)\b[^.!?,]{1,100},\s+)"
    r"(?:(?:now|please|just|ahora|agora|maintenant|jetzt|ora),? )?$",
    _I,
)


def _opens_sentence(text: str, rx: re.Pattern[str]) -> bool:
    """Does a match of ``rx`` open the text or a sentence (the imperative of a call)?"""
    return any(_OPENING.search(text[: m.start()]) for m in rx.finditer(text))
