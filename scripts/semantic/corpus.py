"""Step 2: the sentences the static table is trained on (text only, no labels).

Sources, each a list of sentences:

* `knowledge`: every entry's title, subject, questions, check questions, keywords and answer
  sentences, and every role's fields (knowledge/).
* `intents`: every string in intents/*.toml except the gazetteer (places.toml).
* `seeds`: the five source pages, split into sentences.
* `generated`: messages written the way people write to the bot, made here from templates:
  knowledge questions and role questions wrapped in greetings, facts about the writer, place
  names, text-speak, missing apostrophes, typos and sign-offs; follow-ups; and the messages that
  are not careers questions (emergencies, crisis, health worries, patient services, small talk,
  off-topic chat).
* `tuning`: the texts (never the labels) of the tuning question sets tests/eval/questions.jsonl,
  realistic.jsonl and safety.jsonl. Left out with --no-tuning, so that those sets measure a table
  that has never seen their texts. tests/eval/fresh.jsonl, the shared dev set and anything
  under tests/heldout/ are never used.
"""

from __future__ import annotations

import argparse
import glob
import json
import random
import re
import tomllib

from common import ROOT, entries, load_jsonl, roles, shared_dir

SENT_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")


def clean_markdown(text: str) -> str:
    text = re.sub(r"\*\*|__|`|^#+\s*|^\s*[-*]\s+", "", text, flags=re.M)
    return re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)


def sentences(text: str) -> list[str]:
    out = []
    for s in SENT_SPLIT.split(clean_markdown(text)):
        s = s.strip(" -|\t")
        if 3 <= len(s.split()) <= 60:
            out.append(s)
    return out


def knowledge_texts() -> list[str]:
    out = []
    for e in entries():
        out += [e["title"], e.get("subject", "")] + e["questions"] + e.get("check", [])
        out += [k for k in e.get("keywords", []) if len(k) > 3]
        out += sentences(e["body"])
    for r in roles():
        out += [r["name"], r["what"]] + r["aliases"] + r["entry_routes"] + r["settings"]
        for field in ("qualifications", "regulator", "training", "demand"):
            out += sentences(r[field])
    return [t for t in out if t]


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return []


def intents_texts() -> list[str]:
    out = []
    for f in sorted(glob.glob(str(ROOT / "intents/*.toml"))):
        if f.endswith("places.toml"):
            continue
        for s in _strings(tomllib.load(open(f, "rb"))):
            out += sentences(s) if len(s.split()) > 12 else [s]
    return [s for s in out if re.search(r"[a-zA-Z]", s)]


def seed_texts() -> list[str]:
    out = []
    for f in sorted(glob.glob(str(shared_dir() / "seeds/*.txt"))):
        out += sentences(open(f, encoding="utf-8").read())
    return out


def tuning_texts() -> list[str]:
    out = []
    for name in ("questions", "realistic", "safety"):
        out += [q["text"] for q in load_jsonl(ROOT / f"tests/eval/{name}.jsonl")]
    return out


TOWNS = [
    "london", "manchester", "birmingham", "leeds", "liverpool", "sheffield", "bristol", "newcastle", "sunderland",
    "middlesbrough", "durham", "york", "hull", "bradford", "nottingham", "leicester", "coventry", "stoke", "derby",
    "norwich", "ipswich", "cambridge", "oxford", "reading", "brighton", "southampton", "portsmouth", "plymouth",
    "exeter", "truro", "bath", "gloucester", "swindon", "luton", "milton keynes", "northampton", "peterborough",
    "lincoln", "blackpool", "preston", "bolton", "wigan", "stockport", "carlisle", "kendal", "scarborough",
    "croydon", "lewisham", "essex", "kent", "cornwall", "devon", "yorkshire", "the north east", "the midlands",
    "glasgow", "edinburgh", "aberdeen", "dundee", "inverness", "stirling", "perth", "paisley", "fife", "ayr",
    "the highlands", "shetland", "orkney", "cardiff", "swansea", "newport", "wrexham", "bangor", "aberystwyth",
    "carmarthen", "llandudno", "merthyr", "bridgend", "the valleys", "belfast", "derry", "lisburn", "newry",
    "armagh", "omagh", "enniskillen", "coleraine", "ballymena", "bangor co down", "craigavon",
]
ABROAD = [
    "india", "kerala", "the philippines", "manila", "nigeria", "lagos", "ghana", "zimbabwe", "kenya", "pakistan",
    "poland", "romania", "spain", "portugal", "italy", "ireland", "dublin", "south africa", "australia",
    "new zealand", "canada", "the us", "jamaica", "sri lanka", "nepal", "dubai", "the gulf", "abroad", "overseas",
]


def places() -> tuple[list[str], list[str]]:
    return TOWNS, ABROAD


# ---------------------------------------------------------------------------------------------
# Generated messages
# ---------------------------------------------------------------------------------------------

GREETINGS = [
    "hiya", "hi", "hey", "hello", "morning all", "evening", "hey there", "@careerbot", "<@123456789>",
    "quick q", "quick question", "sorry to bother u", "hi there", "yo", "alright", "hiya 👋", "hey guys",
    "ok so", "random q but", "um", "so basically", "can i ask", "hope ur ok", "hello careerbot",
    "good morning", "afternoon", "hey bot", "hi again", "sorry if this is a dumb question",
    "another question", "right so", "hi, quick one", "hey hey", "hellooo", "excuse me",
]
SIGNOFFS = [
    "ty", "thx", "thanks", "cheers", "thx x", "ta", "🙏", "😊", "pls", "please", "thank u", "cheers in advance",
    "lol", "xx", "💙", "diolch", "ta muchly", "appreciate it", "any help appreciated", "thank you so much",
    "🤔", "😅", "tia", "thanks in advance", "x", "haha", "if that makes sense", "ngl", "tbh", "rn",
]
PEOPLE = ["my son", "my daughter", "my mum", "my dad", "my partner", "my friend", "my niece", "my nephew",
          "my husband", "my wife", "my brother", "my sister", "my grandson", "my granddaughter"]
FACTS = [
    "im {age}", "i'm {age}", "im {age} and work in a care home", "im a hca", "im in year 11", "im in year 13",
    "im doing my a levels", "im doing my gcses", "im at uni", "i live in {town}", "im from {town}",
    "im in {town}", "live near {town}", "asking for {person}", "{person} is {age}", "i trained as a nurse in {abroad}",
    "i qualified in {abroad}", "i havent worked for {n} years", "i left school with no qualifications",
    "i have a degree in {subject}", "im a mum of {n}", "i was a nurse years ago", "im a receptionist at a gp surgery",
    "im a carer for my mum", "im on universal credit", "im a single dad", "i work in retail", "i work at tesco",
    "im a teaching assistant", "ive been a paramedic for {n} years", "im a pharmacist", "im a band 5 nurse",
    "im in the army", "im leaving the forces", "i didnt go to uni", "i failed my maths gcse",
    "i got a 4 in english", "im doing a btec in health and social care", "im doing t levels", "im 50 odd",
    "im dyslexic", "im disabled", "i moved here from {abroad}", "i have a criminal record from years ago",
    "ive been out of nursing for a while", "im an international student", "im on a career break",
    "i work nights", "i work part time", "im in scotland", "im in wales", "im in northern ireland", "im in england",
]
SUBJECTS = ["biology", "chemistry", "psychology", "sports science", "english", "business", "maths", "history",
            "computer science", "physics", "nutrition", "social work", "law"]
ROLE_QUESTIONS = [
    "how do i become a {role}", "what qualifications do u need to be a {role}", "is {role} training paid",
    "how long does it take to train as a {role}", "can i do a {role} apprenticeship", "do {role}s need a degree",
    "what does a {role} actually do", "are {role}s in demand", "how much do {role}s earn",
    "whats the pay like for a {role}", "ive always fancied being a {role}", "could i retrain as a {role} at {age}",
    "is it hard to become a {role}", "who regulates {role}s", "do u need to register to be a {role}",
    "where do {role}s work", "is there a shortage of {role}s", "can i become a {role} without a levels",
    "{role} or {role2} which is better", "compare {role} and {role2}", "tell me about being a {role}",
    "wat do i need to be a {role}", "whats a {role}", "id like to be a {role}", "i want to be a {role} when im older",
    "thinking about becoming a {role}", "any {role} jobs going", "can u get a degree apprenticeship for {role}",
    "what grades for {role}", "how many years uni for {role}", "do they pay u to train as a {role}",
    "is {role} a good career", "what band is a {role}", "what gcses do i need for {role}",
    "is being a {role} stressful", "do {role}s work shifts", "can i be a {role} part time",
    "what a levels for {role}", "how competitive is {role}", "what do {role}s do day to day",
]
EVERYDAY_ROLES = [
    "the people who do scans", "someone who takes blood", "the heart monitor person", "the person who does x rays",
    "the ones who help u walk again", "the person who helps you eat properly", "the people in the lab",
    "someone who fixes hospital equipment", "the person who does hearing tests", "the baby doctor",
    "the people who deliver babies", "the person who puts you to sleep for operations", "the ambulance people",
    "the people on the phone at 111", "the person who checks your eyes", "the foot doctor",
    "someone who works with kids with speech problems", "the person who hands out medicine",
    "the people who clean the wards", "the porters", "the person at reception", "the people who cook hospital food",
    "someone who helps people with mental health", "the person who does the ecg", "the sleep study people",
    "the people who look at cells under a microscope", "the cancer radiation people", "the person who makes prosthetic legs",
    "the people who run the wards", "the managers", "the it people", "the people who do the payroll",
    "the art therapy person", "the person who helps old people at home", "the dental nurse", "the physio",
    "someone who does massages for injuries", "the person that helps with your breathing", "the stroke rehab people",
]
TOPIC_TEMPLATES = [
    "tell me about {s}", "wat about {s}", "how does {s} work", "quick q about {s}", "can u explain {s}",
    "info on {s} pls", "whats the deal with {s}", "i dont get {s}", "help with {s}", "anything on {s}?",
    "{s}?", "what do i need to know about {s}", "question about {s}", "more on {s}",
]
FOLLOW_UPS = [
    "is the training paid?", "do they take people my age?", "are there many jobs in that?", "how long does it take",
    "what about in scotland", "and in wales?", "what about northern ireland", "and for midwives?", "what else",
    "tell me more", "ok and how do i apply", "what qualifications for that", "is that a degree", "how much does it pay",
    "can i do it part time", "whats the next step", "is there an apprenticeship for it", "do i need a levels for that",
    "where would i work", "is it hard", "what about the pay", "does it need a degree", "what band is that",
    "could i do that with kids", "what about if im older", "and after that?", "whats it like", "is it in demand",
    "can i do that instead", "what do they do all day", "how do i get experience", "is there funding",
    "do i get a student loan for it", "whats the difference", "same for me?", "and for my son?", "what about mature students",
]
EMERGENCIES = [
    "{p} has collapsed and isnt breathing", "{p} is having chest pains and sweating loads", "{p} is having a fit",
    "{p} face has dropped on one side and they cant lift their arm", "{p} cut their arm really badly and it wont stop bleeding",
    "{p} took a load of pills", "{p} is choking", "{p} throat is swelling up after eating nuts", "{p} wont wake up",
    "{p} fell down the stairs and is unconscious", "{p} cant breathe properly and lips are going blue",
    "someone got hit by a car outside", "theres been a crash and people are hurt", "{p} has been stabbed",
    "{p} is burning up with a rash that doesnt fade", "{p} is in labour and the baby is coming now",
    "i think im having a heart attack", "i cant breathe", "ive taken an overdose", "{p} is bleeding from the head",
    "{p} swallowed bleach", "{p} fell in the river", "{p} is really confused and slurring words all of a sudden",
    "my chest is crushing and my arm hurts", "{p} isnt responding and their breathing is weird",
]
CRISIS = [
    "i want to kill myself", "i dont want to be here anymore", "everyone would be better off without me",
    "ive been self harming again", "{p} keeps saying they want to die", "i cant go on like this",
    "whats the point of anything", "i keep thinking about ending it all", "i feel so hopeless",
    "i just want it all to stop", "ive been cutting myself", "i feel like a burden to everyone",
    "nobody would notice if i was gone", "im not safe right now", "ive written a note",
    "i have no reason to live", "i cant cope anymore", "i feel completely worthless",
    "{p} posted something really worrying about ending their life", "i keep thinking about hurting myself",
    "i dont see a future for myself", "im so tired of living", "i feel empty all the time and want to disappear",
]
HEALTH = [
    "ive had a {sym} for {dur}", "{p} has had a {sym} for {dur}", "should i be worried about a {sym}",
    "is it normal to have a {sym}", "i think i have {ill}", "{p} might have {ill}, what should we do",
    "what can i take for a {sym}", "ive got a {sym} and feel rough", "is a {sym} serious",
    "i found a lump under my arm", "my mole has changed shape", "ive been feeling really anxious lately",
    "i cant sleep and feel low", "my periods are really heavy", "i keep getting dizzy", "my knee is swollen",
    "i think my ankle is sprained", "my baby has a temperature", "i have a bad cough that wont go away",
    "i feel depressed", "im struggling with my mental health", "i have a rash on my arm",
]
SYMPTOMS = ["headache", "sore throat", "cough", "rash", "temperature", "bad back", "earache", "toothache",
            "stomach ache", "chest infection", "migraine", "sore eye", "fever", "runny nose", "twisted ankle"]
ILLNESSES = ["flu", "covid", "tonsillitis", "a uti", "an ear infection", "chickenpox", "hay fever", "a migraine",
             "food poisoning", "conjunctivitis", "shingles", "an infection"]
DURATIONS = ["2 days", "a week", "3 weeks", "ages", "a month", "since yesterday", "a few days"]
PATIENT = [
    "how do i book a gp appointment", "can i get my prescription early", "how long is the waiting list for {t}",
    "can my physio see me sooner", "does the dentist do free check ups for kids", "how do i register with a gp",
    "how do i order repeat prescriptions on the nhs app", "can i change my hospital appointment",
    "how do i get my test results", "where is the nearest walk in centre", "how do i complain about my gp",
    "can i get a referral to a specialist", "how long do i have to wait for {t}", "is my prescription free",
    "how do i find an nhs dentist near me", "my appointment letter hasnt come", "can i see my medical records",
    "how do i cancel my appointment", "can i get the flu jab at the pharmacy", "how do i get a fit note",
]
TREATMENTS = ["a hip replacement", "knee surgery", "an mri", "cataract surgery", "physio", "counselling",
              "an adhd assessment", "autism assessment", "a scan", "a blood test", "mental health services"]
SMALLTALK = [
    "how are u", "whats ur name", "are u a bot", "are you a real person", "lol", "thanks", "bye", "good bot",
    "who made you", "tell me a joke", "ok", "cool", "nice one", "what can you do", "help", "hello?", "you there?",
    "thats not what i asked", "youre useless", "i love you", "what time is it", "good night", "see ya",
    "thanks that helped", "brilliant ta", "start over", "forget me", "what do you know about me", "find my career",
    "can you help me", "how old are you", "are you chatgpt", "sorry", "nevermind", "wow", "👍", "😂", "yes", "no",
    "maybe", "not sure", "idk", "both", "the first one", "neither",
]
OFFTOPIC = [
    "whats the weather like in {town}", "who won the football last night", "recommend a film",
    "can u help with my maths homework", "best pizza in {town}", "how do i fix my wifi", "what time does tesco shut",
    "can u write my essay", "whats bitcoin worth", "how do i get a job at amazon", "is it gonna rain tomorrow",
    "how do i become a pilot", "what should i cook for tea", "how do i get a passport", "whats the capital of peru",
    "can u book me a train to {town}", "how do i learn to drive", "whats a good laptop for uni", "who is the prime minister",
    "how do i become a police officer", "how do i become a teacher", "jobs at the council", "how do i apply for universal credit",
    "whats the best phone", "how do i make slime", "can you play music", "translate this into french",
    "how much is a pint in {town}", "whats on tv tonight", "how do i start a business", "tell me about the royal family",
    "how do i get into the army", "how do i become a vet", "is it worth being an electrician", "how do i train as a chef",
]
TEXTSPEAK = [
    (r"\byou\b", "u"), (r"\byour\b", "ur"), (r"\byou're\b", "ur"), (r"\bwhat\b", "wat"), (r"\bplease\b", "pls"),
    (r"\bare\b", "r"), (r"\bbecause\b", "cos"), (r"\bthanks\b", "thx"), (r"\breally\b", "rly"),
    (r"\bpeople\b", "ppl"), (r"\bgoing to\b", "gonna"), (r"\bwant to\b", "wanna"), (r"\bto be honest\b", "tbh"),
    (r"\bi don't know\b", "idk"), (r"\bi am\b", "im"), (r"\bdo not\b", "dont"), (r"\bwith\b", "w"),
    (r"\bthe\b", "da"), (r"\bsomeone\b", "some1"), (r"\bbefore\b", "b4"), (r"\bgreat\b", "gr8"),
]
KEYS = "qwertyuiopasdfghjklzxcvbnm"


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.3:
        return word[:i] + word[i + 1 :]
    if kind < 0.6:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind < 0.8:
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice(KEYS) + word[i + 1 :]


def noisy(text: str, rng: random.Random) -> str:
    """Write a sentence the way people type on a phone."""
    if rng.random() < 0.8:
        text = text.lower()
    if rng.random() < 0.7:
        text = text.replace("'", "").replace("\u2019", "")
    for pat, rep in TEXTSPEAK:
        if rng.random() < 0.3:
            text = re.sub(pat, rep, text, flags=re.I)
    if rng.random() < 0.4:
        text = " ".join(typo(w, rng) if rng.random() < 0.15 else w for w in text.split())
    if rng.random() < 0.5:
        text = text.rstrip("?.! ")
    elif rng.random() < 0.3:
        text = text.rstrip("?.! ") + rng.choice(["??", "?!", "...", " ?"])
    return text


def fill(template: str, rng: random.Random, towns, abroad) -> str:
    return template.format(
        age=rng.choice([15, 16, 17, 18, 19, 21, 23, 25, 28, 30, 34, 38, 40, 42, 45, 48, 52, 55, 58]),
        town=rng.choice(towns).title() if rng.random() < 0.3 else rng.choice(towns),
        abroad=rng.choice(abroad), person=rng.choice(PEOPLE), p=rng.choice(PEOPLE),
        n=rng.randint(2, 12), subject=rng.choice(SUBJECTS), sym=rng.choice(SYMPTOMS), ill=rng.choice(ILLNESSES),
        dur=rng.choice(DURATIONS), t=rng.choice(TREATMENTS), s="{s}", role="{role}", role2="{role2}",
    )


def wrap(question: str, rng: random.Random, towns, abroad, facts: float = 0.35) -> str:
    """Put greetings, facts about the writer and sign-offs around a question, and make it noisy."""
    parts = []
    if rng.random() < 0.35:
        parts.append(rng.choice(GREETINGS) + rng.choice([",", "", " -", "!", "..."]))
    if rng.random() < facts:
        parts.append(fill(rng.choice(FACTS), rng, towns, abroad) + rng.choice([",", ".", " and", " -", " so"]))
    parts.append(question)
    if rng.random() < 0.3:
        parts.append(rng.choice(SIGNOFFS))
    return noisy(" ".join(parts), rng)


def generated(seed: int = 0, copies: int = 6) -> list[str]:
    rng = random.Random(seed)
    towns, abroad = places()
    out = []
    es, rs = entries(), roles()
    # Knowledge questions, written as people write them.
    for e in es:
        for q in [e["title"]] + e["questions"] + e.get("check", []):
            out += [wrap(q, rng, towns, abroad) for _ in range(copies)]
        subject = e.get("subject") or e["title"]
        out += [wrap(rng.choice(TOPIC_TEMPLATES).format(s=subject.lower()), rng, towns, abroad) for _ in range(copies)]
    # Roles by name, alias, everyday words and what they do.
    names = [n for r in rs for n in [r["name"]] + r["aliases"]]
    role_words = names + EVERYDAY_ROLES * 4 + ["the person who " + r["what"][0].lower() + r["what"][1:].rstrip(".")
                                                  for r in rs if r["what"]]
    for _ in range(len(rs) * 120):
        t = fill(rng.choice(ROLE_QUESTIONS), rng, towns, abroad)
        out.append(wrap(t.format(role=rng.choice(role_words).lower(), role2=rng.choice(names).lower()), rng, towns, abroad))
    # Statements, places and follow-ups.
    for _ in range(3000):
        out.append(wrap(rng.choice(FOLLOW_UPS), rng, towns, abroad, facts=0.2))
    for _ in range(2000):
        out.append(noisy(fill(rng.choice(FACTS), rng, towns, abroad), rng))
    # Messages that are not careers questions.
    for pool, n in ((EMERGENCIES, 2500), (CRISIS, 2000), (HEALTH, 2500), (PATIENT, 1500), (SMALLTALK, 1000), (OFFTOPIC, 1500)):
        for _ in range(n):
            out.append(wrap(fill(rng.choice(pool), rng, towns, abroad), rng, towns, abroad, facts=0.1))
    return out


def build(tuning: bool, seed: int = 0) -> list[str]:
    texts = knowledge_texts() + intents_texts() + seed_texts() + generated(seed)
    if tuning:
        texts += tuning_texts()
    seen, out = set(), []
    for t in texts:
        t = " ".join(t.split())
        if t and t not in seen:
            seen.add(t)
            out.append(t)
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-tuning", action="store_true", help="leave out the tuning sets' texts")
    ap.add_argument("--out", default="/tmp/semantic/corpus.json")
    args = ap.parse_args()
    texts = build(not args.no_tuning)
    json.dump(texts, open(args.out, "w"), ensure_ascii=False)
    print(f"{len(texts)} sentences -> {args.out}")
