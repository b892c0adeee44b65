"""The console's pages, one module per area; each has its RouteTable (`routes`), listed in app.PAGES."""
