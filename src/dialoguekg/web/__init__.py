"""The web layer: the application, entity documents, the SPARQL protocol and its isolated
query workers, pages, reconciliation."""
