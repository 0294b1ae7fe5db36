"""The word lists of the dedup policy: general-purpose English and geography.

None of them is taken from the labelled pairs the policy was measured on; see the policy in
``alerts/dedup/__init__.py``. Pure data, no logic (``lexicon`` reads them into tables).
"""

from __future__ import annotations

STOPWORDS = frozenset(
    """a an the of to in on at for by with from as and or but is are was were be been being
    has have had do does did it its this that these those into onto over under after before
    about than then so if while amid via per will would could should may might can shall must
    he she they we you i his her their our your my me him them who whom whose which what when
    where why how also just now""".split()
)
NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
NUMBER_WORDS.update(
    (w, str(i))
    for i, w in enumerate("third fourth fifth sixth seventh eighth ninth tenth".split(), 3)
)
NEGATIONS = frozenset(
    "not never cannot cant wont dont doesnt didnt isnt arent wasnt werent wouldnt".split()
)
NEGATIVES = NEGATIONS | {"no", "none", "nothing", "nobody", "without"}
VAGUE_QUANTITIES = frozenset("dozens hundreds thousands millions scores several many".split())
# Endings that make two words one word once the rest is the same (inflections, demonyms).
ENDINGS = frozenset("s es ed d ing er ers ies ied y e".split()) | frozenset(
    "n an ans ian ians i is ese ish istan".split()
)
PLAIN_ENDINGS = frozenset(["", "s", "d", "es", "ed", "ing"])  # the ones after a 3-letter stem
DEMONYM_ENDINGS = ("n", "an", "ian", "i", "ese")  # tried in this order: Nigerian -> Nigeria

# Places: "parent: children" (a city is within its country, a state within the US). Names of
# several words are written with "_" and matched as phrases.
PLACES = """
afghanistan: kabul kandahar helmand herat; albania: tirana; algeria: algiers; angola: luanda
argentina: buenos_aires; armenia: yerevan; australia: canberra sydney melbourne brisbane perth
austria: vienna; azerbaijan: baku; bahrain: manama; bangladesh: dhaka; belarus: minsk
belgium: brussels; bolivia: la_paz; bosnia: sarajevo; brazil: brasilia rio_de_janeiro sao_paulo
bulgaria: sofia; burkina_faso; burundi; cambodia: phnom_penh; cameroon; chad; chile: santiago
canada: ottawa toronto montreal vancouver quebec; central_african_republic: bangui
china: beijing shanghai guangzhou shenzhen wuhan tianjin xinjiang tibet hong_kong macau
colombia: bogota; congo: kinshasa goma; croatia: zagreb; cuba: havana; cyprus: nicosia
czech: prague; denmark: copenhagen; ecuador: quito; egypt: cairo alexandria sinai; eritrea
el_salvador; estonia: tallinn; ethiopia: addis_ababa; finland: helsinki; georgia: tbilisi
france: paris marseille lyon toulouse; germany: berlin munich frankfurt hamburg cologne
ghana: accra; greece: athens; guatemala; guinea; haiti; honduras; hungary: budapest
iceland: reykjavik; india: new_delhi delhi mumbai kolkata chennai bangalore hyderabad kashmir
indonesia: jakarta bali java sumatra papua; iran: tehran; ireland: dublin
iraq: baghdad basra mosul fallujah ramadi tikrit kirkuk erbil; israel: jerusalem tel_aviv
italy: rome milan naples venice sicily; ivory_coast: abidjan; jamaica; jordan: amman
japan: tokyo osaka kyoto okinawa fukushima hiroshima; kazakhstan: astana almaty
kenya: nairobi mombasa; kosovo: pristina; kuwait; kyrgyzstan; laos; latvia: riga
lebanon: beirut; liberia: monrovia; libya: tripoli benghazi misrata; lithuania: vilnius
luxembourg; madagascar; malawi; malaysia: kuala_lumpur; mali: bamako timbuktu; malta
mexico: mexico_city guadalajara tijuana acapulco; micronesia; moldova; monaco; mongolia
montenegro; morocco: rabat casablanca; mozambique; myanmar: yangon naypyidaw; namibia
nepal: kathmandu; netherlands: holland amsterdam the_hague rotterdam; nicaragua; niger
new_zealand: wellington auckland christchurch; nigeria: abuja lagos kano maiduguri
north_korea: pyongyang; norway: oslo; oman; pakistan: islamabad karachi lahore peshawar quetta
palestine: gaza west_bank ramallah rafah; panama; paraguay; peru: lima; philippines: manila
poland: warsaw; portugal: lisbon; puerto_rico; qatar: doha; romania: bucharest; rwanda: kigali
russia: moscow st_petersburg chechnya sochi vladivostok siberia; saudi_arabia: riyadh jeddah
senegal: dakar; serbia: belgrade; sierra_leone; singapore; slovakia; slovenia; somalia: mogadishu
south_africa: johannesburg pretoria cape_town durban; south_korea: seoul busan; south_sudan: juba
spain: madrid barcelona seville catalonia; sri_lanka: colombo; sudan: khartoum darfur
sweden: stockholm; switzerland: geneva zurich bern davos; taiwan: taipei; tajikistan; tanzania
syria: damascus aleppo homs hama idlib raqqa; thailand: bangkok phuket; tunisia: tunis
turkey: ankara istanbul; turkmenistan; uae: dubai abu_dhabi; uganda: kampala; uruguay
ukraine: kiev kharkiv donetsk luhansk odessa crimea; uzbekistan; vatican; venezuela: caracas
vietnam: hanoi ho_chi_minh_city; yemen: sanaa aden; zambia: lusaka; zimbabwe: harare
uk: england scotland wales northern_ireland; scotland: edinburgh glasgow; wales: cardiff
england: london manchester liverpool birmingham leeds; northern_ireland: belfast
us: alabama alaska arizona arkansas california colorado connecticut delaware florida hawaii
us: idaho illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan
us: minnesota mississippi missouri montana nebraska nevada new_hampshire new_jersey new_mexico
us: new_york north_carolina north_dakota ohio oklahoma oregon pennsylvania rhode_island
us: south_carolina south_dakota tennessee texas utah vermont virginia west_virginia wisconsin
us: wyoming washington; new_york: nyc manhattan brooklyn; illinois: chicago; michigan: detroit
california: los_angeles san_francisco san_diego; massachusetts: boston; florida: miami orlando
texas: houston dallas austin; pennsylvania: philadelphia pittsburgh; washington: seattle
colorado: denver; arizona: phoenix; nevada: las_vegas; louisiana: new_orleans
"""
# Other names of a place: irregular demonyms (regular ones, Syrian, Pakistani, Senegalese,
# are found by their endings) and abbreviations.
PLACE_NAMES = """
us: usa america american americans united_states; uk: britain british briton britons
uk: great_britain united_kingdom; scotland: scottish scot scots
wales: welsh; ireland: irish; france: french; germany: german germans; netherlands: dutch
switzerland: swiss; sweden: swedish swede swedes; denmark: danish dane danes
finland: finnish finn finns; norway: norwegian norwegians; poland: polish
spain: spanish spaniard spaniards; portugal: portuguese; greece: greek greeks
turkey: turkish turk turks; china: chinese; japan: japanese; vietnam: vietnamese
lebanon: lebanese; myanmar: burmese; thailand: thai thais; philippines: philippine filipino
philippines: filipinos; afghanistan: afghan afghans; belgium: belgian belgians; peru: peruvian
saudi_arabia: saudi saudis; uae: emirati emirates united_arab_emirates; ghana: ghanaian
ivory_coast: ivorian; kazakhstan: kazakh; uzbekistan: uzbek; serbia: serb serbs
croatia: croat croats; kosovo: kosovar; czech: czech_republic; new_york: new_york_city
south_korea: s_korea; north_korea: n_korea; south_africa: s_africa; south_sudan: s_sudan
palestine: palestinian palestinians; west_bank: w_bank; kiev: kyiv; mumbai: bombay
beijing: peking; kolkata: calcutta; chennai: madras; myanmar: burma; yangon: rangoon
vietnam: viet_nam; czech: czechia; turkey: turkiye; ivory_coast: cote_divoire
ho_chi_minh_city: saigon
"""
# Key words whose change makes another story: "axis+: words" against "axis-: words", or
# "axis=value: words" against the other values. Regular -s/-ed/-ing forms are added.
KEY_WORDS = """
direction+: rise rose risen gain up higher high highs increase climb jump surge soar rally
direction+: rallies rallied advance boost raise hike grow grew growth strengthen rebound upgrade
direction-: fall fell fallen drop dropped down lower low lows decrease decline slip slipped
direction-: slide slid sink sank plunge tumble dip dipped slump shrink shrank weaken downgrade
direction-: cut cutting loss losses
result+: win wins won winning victory; result-: lose lost losing defeat concede
open+: open reopen; open-: close shut
truth+: confirm admit; truth-: deny denies denied
consent+: accept approve endorse; consent-: reject refuse veto vetoes
verdict+: convict; verdict-: acquit acquitted
custody+: arrest detain; custody-: release free
membership+: join; membership-: quit leave leaves exit
quantity+: more most; quantity-: less fewer least
weekday=mon: monday; weekday=tue: tuesday; weekday=wed: wednesday; weekday=thu: thursday
weekday=fri: friday; weekday=sat: saturday; weekday=sun: sunday
month=1: january jan; month=2: february feb; month=3: march; month=4: april apr
month=6: june; month=7: july; month=8: august aug; month=9: september sept sep
month=10: october oct; month=11: november nov; month=12: december dec
compass=n: north northern; compass=s: south southern; compass=e: east eastern
compass=w: west western
"""
# Relations whose two sides play different roles ("A beat B" is not "B beat A"): general
# English transitive verbs of contests, disputes, deals, force and office. Regular -s/-ed/-ing
# forms are added; irregular ones are listed.
RELATIONS = """
beat beaten defeat overcome outplay outscore outclass thrash trounce crush rout edge stun upset
eliminate oust topple overtake overtook overtaken outsell outperform surpass lose lost
sue accuse blame criticise criticize condemn praise thank warn threaten fine ban sanction
punish expel deport extradite sack fire hire appoint replace succeed acquire buy bought sell
sold invade bomb attack shoot shot kill murder stab hack spy investigate probe raid seize
capture rescue arrest charge pay paid owe snub dump
"""
# Months for dates (a month counts as a date only next to a day number: "May 5", "5 March").
MONTHS = """
1: january jan; 2: february feb; 3: march mar; 4: april apr; 5: may; 6: june jun; 7: july jul
8: august aug; 9: september sept sep; 10: october oct; 11: november nov; 12: december dec
"""
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
# Editions of a recurring title ("Episode 12", "Part 2", "3rd round"): kind: its spellings.
EDITIONS = """
episode: episode ep; part: part pt; chapter: chapter chap ch; volume: volume vol; issue: issue
edition: edition; season: season; series: series; round: round; stage: stage; game: game
day: day; week: week; leg: leg
"""
# Tags around a recurring title that say how it is published, not what it is about ("[HD]",
# "(LIVE)", "| Full episode"); dropped at the edges of a dated title.
TAGS = frozenset(
    "hd 4k uhd live livestream stream streaming replay video full episode watch official".split()
)
