// The https fallback page of an invite (issue 12 §1): a static page a network owner hosts at any
// https:// address. The invite rides in the address's fragment (#join/…), which browsers never send
// to the server; the page turns it back into the pnode://join/ link that opens PNode, and shows the
// link to copy into an app that is not installed yet. No external resources, no cookies.
export function invitePage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">
<meta name="referrer" content="no-referrer">
<title>Join a PNode network</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; color: #1b1f24; }
  a.open { display: inline-block; padding: .75rem 1.25rem; background: #1f6feb; color: #fff; border-radius: .5rem; text-decoration: none; font-weight: 600; }
  textarea { width: 100%; height: 6rem; font: 12px/1.4 ui-monospace, monospace; }
  .missing { color: #b42318; }
</style>
</head>
<body>
<h1>Join a PNode network</h1>
<p id="intro">You were invited to donate your computer's spare compute to a volunteer network with PNode.</p>
<p><a class="open" id="open" href="#">Open in PNode</a></p>
<p>Nothing changes until you confirm in PNode: it shows who signed the network and what joining means first.</p>
<h2>Not installed yet?</h2>
<p>Install PNode Desktop, then open this page again, or paste this invite into its first screen (<em>Join with an invite</em>):</p>
<textarea id="link" readonly></textarea>
<script>
  (function () {
    var fragment = location.hash.slice(1);
    var link = fragment.indexOf('join/') === 0 ? 'pnode://' + fragment : '';
    var open = document.getElementById('open');
    var text = document.getElementById('link');
    if (!link) {
      document.getElementById('intro').className = 'missing';
      document.getElementById('intro').textContent = 'This address carries no invite: ask for the whole link (it ends with #join/…).';
      open.style.display = 'none';
      return;
    }
    open.href = link;
    text.value = link;
  })();
</script>
</body>
</html>
`;
}
