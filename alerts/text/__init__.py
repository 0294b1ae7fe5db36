"""Pure text work shared by the stages: normalisation, RE2 patterns, HTML to text, sentences,
and how a rule term matches (one definition, ``terms``) and where it stands in shown text."""
