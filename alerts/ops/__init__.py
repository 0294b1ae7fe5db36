"""For the operators: bot commands, the status report, rule explanations."""
