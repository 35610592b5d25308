"""customers: customer profiles and tokenised payment methods."""
