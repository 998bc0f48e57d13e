"""Round-6 mechanisms of the boilerplate step, both ways, in our own wordings (invented towns,
sites and people): sign-up cards (a heading next to its removed blurb at an edge, a blurb next to
its removed heading inside the text), a question put to the reader before a call, "more <kind> news"
link lines, link-out lines with a bare web address, an assistant's caveat that runs over two
sentences, and a wire notice relayed "as received"."""

from __future__ import annotations

from feedscrub.cleaners import edge_calls

from .test_boilerplate import clean

BODY = (
    "The Millbrook water board voted on Wednesday to replace 3 miles of cast-iron mains under "
    "Orchard Street, the oldest part of the town's network.\n\n"
    "Board member Dana Kowalczyk said the pipes had burst eleven times since January, twice "
    "flooding basements on Linden Avenue.\n\n"
    "The $6.2 million project will be paid for with a state revolving loan at 1.5 percent interest.\n\n"
    "Work is due to start in April and last about seven months, with one lane kept open at all times.\n\n"
)


def test_signup_card_heading_goes_with_its_blurb_at_the_bottom():
    html = (
        "".join(f"<p>{p}</p>" for p in BODY.strip().split("\n\n"))
        + '<div class="signup"><h3>Sign up for The Millbrook Weekly</h3>'
        "<p>Get the week's stories delivered to your inbox every Friday.</p></div>"
    )
    res = clean(html, "text/html")
    assert "Sign up for The Millbrook Weekly" not in res.text
    assert "delivered to your inbox" not in res.text
    assert "last about seven months" in res.text


def test_public_safety_heading_beside_a_signup_line_stays():
    text = BODY + ("Sign up for the county emergency alerts\n\n"
                   "Get the latest stories delivered straight to your inbox.")
    res = clean(text)
    assert "Sign up for the county emergency alerts" in res.text
    assert "delivered straight to your inbox" not in res.text


def test_card_blurb_beside_its_removed_heading_goes_inside_the_text():
    paras = BODY.strip().split("\n\n")
    text = "\n\n".join([*paras[:2], "Get The Orchard Letter in your inbox", "Independent news from the valley, free every Monday morning.", *paras[2:]])
    res = clean(text)
    assert "Independent news from the valley" not in res.text
    assert "Get The Orchard Letter" not in res.text
    assert "state revolving loan" in res.text


def test_story_line_beside_a_removed_heading_stays():
    paras = BODY.strip().split("\n\n")
    text = "\n\n".join([*paras[:2], "Get The Orchard Letter in your inbox", "The farmers market on Orchard Street stays free every Saturday.", *paras[2:]])
    res = clean(text)
    assert "The farmers market on Orchard Street stays free every Saturday." in res.text


def test_blurb_needs_the_product_and_its_schedule():
    assert edge_calls.is_card_blurb("Local stories from the harbour, delivered free every Thursday.") is False
    assert edge_calls.is_card_blurb("Our newsletter, free every Thursday.") is True
    assert edge_calls.is_card_blurb("Emergency alerts from the county, free every day.") is False


def test_question_before_the_sites_own_alerts_goes_inside_the_text():
    paras = BODY.strip().split("\n\n")
    text = "\n\n".join([*paras[:2], "Looking for more town news? Sign up for our free evening text alerts.", *paras[2:]])
    res = clean(text)
    assert "Sign up for our free evening text alerts" not in res.text
    assert "Board member Dana Kowalczyk" in res.text


def test_public_service_alert_signup_inside_the_text_stays():
    paras = BODY.strip().split("\n\n")
    line = "Residents can sign up for the water board's outage text alerts at the town hall."
    res = clean("\n\n".join([*paras[:2], line, *paras[2:]]))
    assert line in res.text


def test_more_kind_of_news_link_line_at_the_bottom_goes():
    res = clean(BODY + "Read more local school board news")
    assert "Read more local school board news" not in res.text
    assert "last about seven months" in res.text


def test_link_out_with_a_bare_address_goes_anywhere():
    paras = BODY.strip().split("\n\n")
    line = "Read more about the Millbrook water board's lead-pipe plan at millbrookwater.example/leadfree."
    res = clean("\n\n".join([*paras[:2], line, *paras[2:]]))
    assert "millbrookwater.example/leadfree" not in res.text
    assert "state revolving loan" in res.text


def test_news_sentence_naming_a_web_address_stays():
    line = ("Residents can read more about the work on the board's site, millbrookwater.example, "
            "Kowalczyk said.")
    res = clean(BODY + line)
    assert line in res.text


def test_two_sentence_ai_caveat_goes_whole():
    caveat = ("Please note that this story is based on general knowledge and may not reflect the actual "
              "details of the vote. For accurate information, please contact the water board directly.")
    res = clean(BODY + caveat)
    assert "based on general knowledge" not in res.text
    assert "please contact the water board directly" not in res.text
    assert res.flags.unedited_feed


def test_contact_line_after_a_story_sentence_stays():
    line = ("The board meets again on March 3. For accurate information about closures, please contact "
            "the water board directly.")
    res = clean(BODY + line)
    assert line in res.text
    assert not res.flags.unedited_feed


def test_relayed_as_received_notice_in_italics_goes_and_flags():
    html = ("".join(f"<p>{p}</p>" for p in BODY.strip().split("\n\n"))
            + "<p><em>This item is published as received from the agency and has not been edited "
              "by the Valley Courier desk.</em></p>")
    res = clean(html, "text/html")
    assert "published as received" not in res.text
    assert res.flags.unedited_feed


def test_news_about_a_relayed_notice_stays():
    line = ("The ombudsman found that the item was published as received from the agency and had not "
            "been edited, the paper reported.")
    res = clean(BODY + line)
    assert line in res.text
    assert not res.flags.unedited_feed


def test_call_features_in_other_wordings_and_languages():
    def feats(line: str) -> list[str]:
        return edge_calls.score_call(line)[1]

    assert "hook" in feats("Enjoying this story? Subscribe to our weekend edition.")
    assert "hook" in feats("¿Quieres más noticias de la comarca? Suscríbete a nuestro boletín.")
    assert "hook" in feats("Lust auf mehr? Abonnieren Sie unseren Newsletter.")
    assert "hook" not in feats("Why did the board wait? Residents asked at the meeting.")
    assert "url" in feats("Read more about our pledge at pinecrest.example/pledge")
    assert "url" not in feats("The pledge was signed at 3 p.m. on the steps of the hall.")
    assert "fineprint" in feats("Almost there! Check your inbox to confirm your subscription.")
    assert "fineprint" in feats("Merci ! Confirmez votre inscription dans l’e-mail reçu.")
    assert "self" in feats("Read more coastal business news")
    assert "our_product" in feats("Sign up for our free weekend traffic alerts.")


def test_spanish_hook_and_own_bulletin_go_inside_the_text():
    paras = BODY.strip().split("\n\n")
    line = "¿Quieres más noticias de la comarca? Suscríbete gratis a nuestro boletín de los viernes."
    res = clean("\n\n".join([*paras[:2], line, *paras[2:]]))
    assert "Suscríbete gratis" not in res.text
    assert "Board member Dana Kowalczyk" in res.text


def test_card_heading_naming_the_product_goes_with_its_signup_line():
    text = BODY + "The Millbrook Ledger weekly\n\nSign up for our free newsletter with the week's town news.\n"
    res = clean(text)
    assert "The Millbrook Ledger weekly" not in res.text
    assert "one lane kept open at all times" in res.text
    assert edge_calls.is_card_heading("Evening Briefing")
    assert not edge_calls.is_card_heading("The weekly market moved to Saturdays.")
    assert not edge_calls.is_card_heading("Flood alerts")  # public safety


def test_title_like_line_naming_a_product_stays_without_a_signup_line_below():
    text = BODY + "The Millbrook Ledger weekly\n\nThe board meets again on May 2.\n"
    assert "The Millbrook Ledger weekly" in clean(text).text


def test_button_label_goes_only_under_its_card():
    card = BODY + "Local news needs your support. Become a member today.\n\nJoin now\n"
    assert "Join now" not in clean(card).text
    story = BODY + "Join now\n\nThe board meets again on May 2.\n"
    assert "Join now" in clean(story).text
