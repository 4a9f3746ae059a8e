"""Privacy through GraphQL: consent on Customer and setConsent, eraseCustomer, exportCustomer."""
