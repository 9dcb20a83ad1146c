"""What patients see and give through their own link, as pure data and rules: the screening
questions in plain words, the consent text with its quantified risks, the delayed-reaction
advice, signature strokes and the home-measure schedule."""
