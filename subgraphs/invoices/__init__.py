"""invoices: invoices with their lines, tax by country, and balances owed."""
