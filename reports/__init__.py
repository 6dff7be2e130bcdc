"""Report writers: the trust scorecard (JSON/HTML/Markdown), plots, Allure labels and attachments,
and the offline build of the static HTML report. Takes plain data and paths; imports nothing from
fixtures/ or trust_tests/."""
