"""The history store's schema: `NNNN_name.sql`, applied in order once each (history/migrate.py)."""
