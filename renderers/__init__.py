"""Turning definitions and data into what people see: HTML pages and, later, PDF documents."""
