"""Dedup: is a matched story one already alerted to the same chat? (the policy, and its modules)

Policy (precision first: a wrongly merged story is a lost alert), in this order; only stories
of the last ``dedup.window`` are compared (a new development days later is a new story):

1. **Same link** after normalisation (scheme, ``www.``, trailing slash, fragment and tracking
   parameters such as ``utm_*``, ``fbclid``, ``gclid`` ignored) is the same story; so is the
   **same guid** within a feed, and across feeds when the guid is itself a URL (guids like "1"
   or "article-12" repeat across feeds).
2. **Same title, reworded.** A title is normalised (``text.normalize``: case, accents,
   dashes; then possessives and punctuation removed: ``comparable_title``) and cut into
   *content words*: wire labels ("UPDATE 2-") and English function words dropped, initials
   joined ("u s" = "us"), numbers in digits ("six" = "6", "18,000" = "18000", "7th" = "7"),
   "-ize" spelt "-ise", and places in one form ("S. Korean" = "south_korea", "Syrian" =
   "syria", "British" = "uk", "Kyiv" = "kiev"). Two words are one word when they differ only
   by an ending ("protest"/"protesters", "marry"/"married", "Afghan"/"Afghanistan"), when one
   abbreviates the other ("Aust"/"Australia", "Sept"/"September"), when one is two words of
   the other joined ("faceoff"/"face off"), or when a long word has one typo ("cemetary").
   The words only one title has are read as *substitutions* (paired across the titles) and
   *additions* (the rest of the longer side). A retelling adds detail cheaply ("North Korea's
   Kim Jong-un sends ..."), while a substitution is how two stories share a template ("Indian
   / Tokyo stocks open lower"), so it is dear. The score is::

       100 - 8 * cost / shared words        (at least 0)
       cost = 5 per substitution + 1 per addition + 1 more per number only one title has
              + 10 more when the substitution is a different place

   and a pair at or above ``threshold`` (default **88**, ``dedup.threshold``) is one story:
   cost at most 1.5 per shared word. One substitution needs four shared words (and allows one
   addition more: "Federer wins / captures 7th Wimbledon title"); a title wholly contained in
   a longer one needs three shared words and allows four additions. Guards, which refuse the
   pair (score 0) whatever the threshold, judged on the words only one title has:

   - **numbers differ**: different numbers ("kills 12" / "kills 21"), or a number against a
     vague quantity ("killing 40" / "killing dozens");
   - **changed key word**: opposite directions ("rise"/"fall", "up"/"down", "higher"/"lower",
     "raises"/"cuts"), results ("wins"/"loses"), "opens"/"closes", "confirms"/"denies",
     "accepts"/"rejects", "convicted"/"acquitted", "arrested"/"freed", "joins"/"quits",
     "more"/"fewer", and different weekdays, months or compass points;
   - **negation on one side only** ("will not raise" / "will raise"; "no" on the other side
     is enough to count as negated there);
   - **short title**: below 3 content words ("Business Highlights") every word must be shared,
     since such a title is contained in any title that repeats it.

   **A different place** (a place in each title that no place of the other contains or lies
   within: "UK" / "Australia", "Moscow" / "Vladivostok"; a city lies within its country, a state
   within the US) costs three substitutions rather than refusing, because the gazetteer is
   incomplete and some of its names are also common words (Jordan, Turkey, Chad).

   All lists (stopwords, endings, number words, places and demonyms, opposite key words) are
   general-purpose English and geography, none taken from the labelled pairs below.

3. **A recurring title is judged on its content.** The same title ("Business Highlights",
   "Morning briefing"), or a show name and the same date, cannot tell two stories apart; when
   both stories have a lead (the first sentences of the summary, at most 200 characters) the
   leads decide: one story when their vectors' cosine is at least ``dedup.semantic_threshold``,
   or, without a model, when their string score is at least ``dedup.threshold``. A story
   without a lead is judged on its title as before.
4. **The same story in other words** (``dedup.semantic``, on by default): when no *hard* guard
   refuses the pair (numbers that differ and a short title are soft: early reports count
   differently, "8 killed" / "several dead"), the titles share real words (string score at
   least 20) and the cosine of the titles' vectors (multilingual-e5-small, bundled) is at least
   ``dedup.semantic_threshold`` (default **0.95**), the pair is one story. The best verdict is
   exact identity, then the title (or content) by score, then meaning by cosine.

Why 88: on the STS headlines pairs (``../shared/data/dedup``, 1,283 pairs, same story = human
score >= 4, different <= 2) the policy gives precision 0.990 and recall 0.610 at 88 (311 of 510
stories found, 3 wrong merges; precision 0.974 to 1.0 in each year of the data); 86 gives
0.980 / 0.659 and 90 gives 0.992 / 0.518. The first version gave 0.957 / 0.439 at 88, plain
``token_set_ratio`` 0.972 / 0.271 at its best threshold (``python bench/dedup_quality.py``
prints the curve and the baselines). 88 keeps precision near 0.99, a margin over the 0.97 that
unseen headlines must reach, for a loss of 0.05 in recall against 86.

Known false merges: a changed name that is not a place ("Avengers" / "Hunger Games sets box
office record"), a changed verb that is not a listed opposite ("FAA continues / lifts ban on US
flights to Tel Aviv"), a short title and one new fact ("Donna Summer, the queen of disco" /
"..., dies at 63"), a place the gazetteer lacks, a title of three or four content words all
found in a longer title on the same topic ("What is Bitcoin and where is Mt Gox?" / "Bitcoin
traders hit by Mt Gox crash"), and a place whose role changes ("China stocks sink on weak data"
/ "US stocks dip on weak data from China"). Known misses: retellings in synonyms ("blast" /
"explosion", "quits" / "resigns") unless four other words are shared, one fact in other words
("found not guilty" / "acquitted", "kill 24" / "kill dozens"), a person named two ways ("Google
CEO" / "Larry Page"), a place named at two levels ("Greek" / "Athens" is no different place,
but still a substitution), and two places of one story ("Syria's Aleppo" / "Damascus").

Why 0.95 and 20 (the STS headline pairs): the string stage alone gives precision 0.990
and recall 0.610; the model alone at cosine 0.95 gives 0.969 / 0.804; both, with the floor of
20, 0.991 / 0.829; at 0.94, 0.979 / 0.896, and at 0.96, 0.990 / 0.771. 0.95 is the lowest
cosine whose precision keeps a margin over the 0.98 that unseen pairs must reach, and the floor
keeps two unrelated titles that a model happens to place close apart. A retelling it finds:
"Powerful earthquake hits Turkey and Syria" / "Huge quake strikes Turkey and Syria" (cosine
0.977, string score 40); one it keeps apart: "Powerful storm hits Turkey coast" (0.902).

Vectors: only stories that matched a rule are embedded, once per text (memoised). Every
alerted story's title is embedded soon after its alert, off the decision path: after the
trip's commit one worker thread (``alerts.backfill``) embeds the new stories' titles in
batches of 2 and writes them in a small transaction of their own. Otherwise a vector is
computed when a comparison needs it (a pair the semantic stage could change, or a recurring
title's lead), the texts of one comparison in one model call, and at most 4 candidates' vectors
(``LAZY_CANDIDATES``, those with the highest string score; the others are judged on their
strings for that story), written in the trip's one transaction. One model call runs at a time
(one lock): a trip waits at most one batch, some 30 ms. Measured (``bench/bench_dedup.py``,
100,000 stories, 2 cores), a story whose candidates' vectors are stored costs 1.2 ms at the
median and some 20 to 27 ms at p95 (its own vector), against a p95 of 348 ms when its 20
candidates had to be embedded. A vector is kept as int8 codes (384 bytes) with its story in
the state file and loaded back with the window, so a restart embeds nothing the window had; a
vector the worker had not reached at a stop is dropped and computed when first needed. The
model is loaded on first use: a cycle in which nothing matched never imports it. If it cannot
be used (not installed, an unreadable folder, a failure on first use) the bot says so once,
with the remedy, and dedup runs on titles alone; an alert is never lost to it.

Candidates: exact identity (link, guid) is looked up in the window's indexes. Otherwise the
query's rarest title words that the window holds (at most 4) fetch the stories that share them,
and the 20 sharing the most are judged. A true retelling shares most content words with its
original (the threshold demands it), so it shares at least one of the query's rarest words; a
story that shares none is never compared.

Cost of the string stage: content words are worked out once per title (``comparable_title``
does it, and a cache of 131,072 titles keeps them); judging a pair then costs some 20 to 30
microseconds, and ``find_duplicate`` first rules out most candidates with an upper bound on
their score that costs a few microseconds, so judging a story against 64 candidates stays well
under 1 ms; in a window of 100,000 stories a new story takes some 0.5 ms at the median
(``python bench/bench_dedup.py``). A pair the title stage finds is confirmed by one
``judge_titles`` (some 25 microseconds more); only a story it does not find, or finds with a
recurring title, is judged against every candidate and by meaning: a model call costs 10 to 50
ms on two threads, a ``cosines`` call over 20 candidates some 20 microseconds.

The modules, in the order a story goes through them (callers import from the modules):

- ``keys``: ``story_key``, a story's comparable form, and the identity of its guid;
- ``links``: ``normalize_link``, one link for the copies of one page;
- ``words``: ``comparable_title`` and the content words of a title, cached;
- ``window``: the alerted stories per chat, exact identity, then candidates by rare words;
- ``candidates``: a story against its candidates: the string pass, then content and meaning,
  and the ``Duplicate`` verdict (stage, score, cosine, overruled refusal);
- ``scoring``: ``find_duplicate`` (the cheap bound, then the score), ``judge_titles`` (score,
  refusal, hard, recurring), ``similarity``, ``explain_similarity``;
- ``verdict``: the pure verdict on a pair from its title judgement, cosine and lead check;
- ``embed``: the ``Embedder`` interface and ``load_embedder`` (``embed_e5``: the bundled
  model; ``embed_static``: an operator's model2vec folder); ``embed_memo``: vectors by text
  (one model call at a time), one trip's vectors and the lazy cap; ``vectors``: int8 codes
  and cosines (the only numpy import); ``alerts.backfill`` (outside the package): new stories'
  title vectors, embedded by a worker thread after their commit;
- ``align``: which content words two titles share (endings, abbreviations, compounds, typos);
- ``guards``: the refusals, and the different place that costs more;
- ``lexicon``: the word lists read into lookup tables, and the place lookups;
- ``wordlists``: the word lists themselves, pure data;
- ``pair``: one pair judged the bot's way, with its reasons (``bot.py similar``).
"""
