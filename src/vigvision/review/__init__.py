"""The guider's review page: a local web app to watch, choose and annotate moments."""
