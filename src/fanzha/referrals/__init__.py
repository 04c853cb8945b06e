"""Clue referral (ATOFL art. 26(2)): a case's (or cluster's) clues packaged for the police or an authority."""
