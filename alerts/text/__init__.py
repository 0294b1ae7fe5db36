"""Pure text work shared by the stages: normalisation, RE2 patterns, how a rule term matches."""
