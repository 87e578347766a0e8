"""The page behind the integration deep link: who the patient is and what was uploaded for them."""

from jinja2 import Environment

PAGE = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Haidy: {{ ctx.name or ctx.external_id }}</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0; background: #f5f7fa; color: #1d2733; }
  header { background: #1d4e89; color: #fff; padding: 12px 24px; display: flex; justify-content: space-between; }
  main { max-width: 760px; margin: 24px auto; padding: 0 16px; }
  section { background: #fff; border-radius: 8px; padding: 16px 20px; margin-bottom: 16px; box-shadow: 0 1px 3px #0002; }
  h1 { margin: 0 0 8px; font-size: 24px; }
  h2 { margin: 0 0 8px; font-size: 19px; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
  dt { color: #5b6b7c; }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: 6px 4px; border-bottom: 1px solid #e3e8ee; }
  .empty { color: #5b6b7c; font-style: italic; }
</style>
</head>
<body>
<header><strong>Haidy</strong> <span>signed in as <span id="user">{{ email }}</span></span></header>
<main>
<section id="patient">
  <h1>{{ ctx.name or "Unnamed patient" }}</h1>
  <dl>
    <dt>External ID</dt><dd id="external-id">{{ ctx.external_id }}</dd>
    <dt>Birth date</dt><dd id="birth-date">{{ ctx.birth_date or "unknown" }}</dd>
    <dt>Gender</dt><dd>{{ ctx.gender or "unknown" }}</dd>
    <dt>Patient group</dt><dd>{{ ctx.patient_group }}</dd>
    <dt>Patient context</dt><dd><code>{{ ctx.id }}</code></dd>
  </dl>
</section>
<section id="files">
  <h2>Files ({{ files|length }})</h2>
  {% if files %}
  <table>
    <thead><tr><th>Name</th><th>Type</th><th>Size</th></tr></thead>
    <tbody>
    {% for f in files %}
      <tr><td><a href="/_mock/haidy/files/{{ f.id }}">{{ f.filename }}</a></td><td>{{ f.content_type }}</td><td>{{ f.size }} bytes</td></tr>
    {% endfor %}
    </tbody>
  </table>
  {% else %}<p class="empty">No files uploaded yet.</p>{% endif %}
</section>
{% if metadata %}
<section id="metadata">
  <h2>Metadata from your system</h2>
  <dl>{% for key, value in metadata.items() %}<dt>{{ key }}</dt><dd>{{ value }}</dd>{% endfor %}</dl>
</section>
{% endif %}
</main>
</body>
</html>
""")
"""Compiled once; every value is HTML-escaped."""
