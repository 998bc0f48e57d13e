"""detect_language: a cheap function-word vote, langdetect (seeded) when the vote is unsure."""

from __future__ import annotations

import time

import pytest
from feedscrub.cleaners import language
from feedscrub.cleaners.language import detect_language, exclusive_vote, stopword_vote

# Written for these tests: a few sentences of news in each language.
SAMPLES = {
    "en": "The city council voted on Tuesday to extend the bus line to the airport, and the works "
    "are expected to start in the spring, according to the mayor's office.",
    "es": "El ayuntamiento aprobó este martes ampliar la línea de autobús hasta el aeropuerto, y "
    "las obras empezarán en primavera, según la alcaldía.",
    "pt": "A câmara municipal aprovou nesta terça-feira a extensão da linha de ônibus até o "
    "aeroporto, e as obras devem começar na primavera, segundo a prefeitura.",
    "fr": "Le conseil municipal a voté mardi le prolongement de la ligne de bus jusqu'à l'aéroport, "
    "et les travaux devraient commencer au printemps, selon la mairie.",
    "it": "Il consiglio comunale ha approvato martedì il prolungamento della linea di autobus fino "
    "all'aeroporto, e i lavori dovrebbero iniziare in primavera, secondo il comune.",
    "de": "Der Stadtrat hat am Dienstag die Verlängerung der Buslinie bis zum Flughafen beschlossen, "
    "und die Arbeiten sollen im Frühjahr beginnen, wie die Stadtverwaltung mitteilte.",
}


@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_detects_news_languages(lang):
    got, prob = detect_language(SAMPLES[lang])
    assert got == lang and prob >= 0.8


def test_english_with_spanish_names_is_english():
    text = (
        "Pilgrims gathered at the Basilica of Our Lady of Guadalupe and in the Plaza de la "
        "Constitución, where the crowds sang “Las Mañanitas” at midnight."
    )
    assert detect_language(text)[0] == "en"


def test_english_with_leftovers_is_english():
    text = (
        "The union rejected the offer y la negotiation was suspended, según the company, and "
        "the strike will continue del lunes until an agreement is reached with the workers."
    )
    assert detect_language(text)[0] == "en"


@pytest.mark.parametrize("text", ["", "   ", "Hi there", "12 345 678", "—"])
def test_too_short_to_tell(text):
    assert detect_language(text) == (None, 0.0)


def test_reads_only_max_chars():
    text = SAMPLES["en"] + " " + SAMPLES["es"] * 20
    assert detect_language(text, max_chars=len(SAMPLES["en"]))[0] == "en"


def test_stopword_vote_abstains_on_mixed_text():
    words = (SAMPLES["en"] + " " + SAMPLES["es"]).lower().split()
    assert stopword_vote(words) == (None, 0.0)


def test_langdetect_path_is_deterministic_and_cached():
    # mixed text: the vote abstains and langdetect decides, the same way every time
    text = SAMPLES["es"] + " " + SAMPLES["pt"]
    answers = {detect_language(text, seed=0) for _ in range(5)}
    assert len(answers) == 1
    factory = language._factories[0]
    detect_language(text, seed=0)
    assert language._factories[0] is factory  # built once per seed, not per call


def test_fast_on_a_long_english_article():
    text = SAMPLES["en"] * 40
    detect_language(text)
    t0 = time.perf_counter()
    for _ in range(50):
        detect_language(text, max_chars=1500)
    assert (time.perf_counter() - t0) / 50 < 0.005


# Written for these tests: long enough for the second vote, and full of the function words
# Spanish shares with Portuguese, French and Italian (de, la, que, en), so the first vote abstains.
LONG_ES = (
    "La comisión de presupuestos del ayuntamiento de la ciudad aprobó este lunes, con los votos de "
    "los dos partidos del gobierno municipal, el plan de obras para los próximos tres años, que incluye "
    "la reforma de las calles del centro y la construcción de un nuevo mercado en el barrio del puerto. "
    "Según el concejal de urbanismo, las obras empezarán en marzo y durarán hasta finales del año que "
    "viene, aunque los comerciantes de la zona pidieron que se retrasen hasta después del verano. "
    "La oposición votó en contra y denunció que el proyecto no tiene en cuenta las necesidades de los "
    "vecinos de las zonas más alejadas del centro, que desde hace años reclaman más autobuses y una "
    "biblioteca. El alcalde defendió el plan y aseguró que los barrios tendrán su propio presupuesto "
    "el año que viene, cuando termine la primera fase de las obras."
)
# Catalan shares "el", "la", "de", "que", "a", "les", "per" with the listed languages
LONG_CA = (
    "El consell municipal va aprovar dimarts l'ampliació de la línia d'autobús fins a l'aeroport, i les "
    "obres començaran a la primavera, segons l'alcaldia. Els veïns han demanat més informació sobre el "
    "calendari i el cost del projecte, que encara no s'ha fet públic. La regidora de mobilitat va "
    "explicar que el traçat passarà per tres barris i que les parades noves tindran marquesines i "
    "pantalles amb els horaris. L'oposició va criticar que el govern no hagi consultat les associacions "
    "de comerciants, que temen perdre places d'aparcament durant les obres. El pressupost inicial és de "
    "dotze milions d'euros, però la xifra podria créixer si els treballs es retarden més del previst."
)


def _words(text):
    return [w.lower() for w in language._WORD.findall(text)]


def test_exclusive_vote_decides_a_long_spanish_article_without_langdetect(monkeypatch):
    assert stopword_vote(_words(LONG_ES)) == (None, 0.0)  # de/la/que/en count for four languages

    def no_langdetect(seed):
        raise AssertionError("langdetect should not be needed")

    monkeypatch.setattr(language, "_factory", no_langdetect)
    assert detect_language(LONG_ES) == ("es", language.EXCLUSIVE_PROB)


def test_exclusive_vote_abstains_on_catalan_and_langdetect_decides():
    assert exclusive_vote(_words(LONG_CA)) == (None, 0.0)
    assert detect_language(LONG_CA * 2)[0] == "ca"


def test_exclusive_vote_abstains_on_short_or_mixed_text():
    assert exclusive_vote(_words(SAMPLES["es"])) == (None, 0.0)  # too few words to be sure
    assert exclusive_vote(_words(SAMPLES["en"] * 3 + " " + SAMPLES["es"] * 3)) == (None, 0.0)
