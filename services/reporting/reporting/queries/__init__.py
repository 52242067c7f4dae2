"""Reads for the API and the pages: the audit log (`audit`), KPIs (`kpis`), deputy performance and the grid
ranking (`performance`), office tables (`tables`), standing alarms (`alarms`), the scheduled jobs' runs (`runs`)."""
