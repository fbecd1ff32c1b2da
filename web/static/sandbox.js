// The web sandbox: sends what you type to /sandbox/api/send (the server signs, encrypts and posts it to
// its own /wechat like WeChat would) and polls /sandbox/api/pushes for what the bot pushed to you.
// Text is always inserted with textContent, never as HTML.
(function () {
  "use strict";
  var identity = document.getElementById("identity");
  var messages = document.getElementById("messages");
  var who = document.getElementById("who");
  var text = document.getElementById("text");
  var lastPush = {};
  var history = {};

  function add(kind, content) {
    var div = document.createElement("div");
    div.className = "msg " + kind;
    div.textContent = content;
    messages.appendChild(div);
    messages.scrollTop = messages.scrollHeight;
    (history[identity.value] = history[identity.value] || []).push([kind, content]);
  }

  function show() {
    messages.textContent = "";
    who.textContent = identity.options[identity.selectedIndex].text;
    var past = history[identity.value] || [];
    history[identity.value] = [];
    past.forEach(function (m) { add(m[0], m[1]); });
    try { localStorage.setItem("gz-sandbox-identity", identity.value); } catch (e) { /* private mode */ }
  }

  function send(payload, echo) {
    payload.openid = identity.value;
    if (echo) { add("me", echo); }
    return fetch("/sandbox/api/send", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(payload)
    }).then(function (r) { return r.json(); }).then(function (answer) {
      if (answer.reply) { add("bot", answer.reply); }
      else if (answer.error) { add("system", answer.error); }
    }).catch(function (e) { add("system", String(e)); });
  }

  function poll() {
    var openid = identity.value;
    var after = lastPush[openid] || 0;
    fetch("/sandbox/api/pushes?openid=" + encodeURIComponent(openid) + "&after=" + after)
      .then(function (r) { return r.json(); })
      .then(function (pushes) {
        pushes.forEach(function (p) {
          lastPush[openid] = Math.max(lastPush[openid] || 0, p.id);
          if (openid === identity.value) { add("push", "【推送】" + p.text); }
        });
      }).catch(function () { /* server restarting */ })
      .then(function () { setTimeout(poll, 1000); });
  }

  document.getElementById("composer").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var value = text.value.trim();
    if (!value) { return; }
    text.value = "";
    send({text: value}, value);
  });
  document.getElementById("photo").addEventListener("click", function () {
    send({kind: "image"}, "[照片]");
  });
  document.getElementById("location").addEventListener("click", function () {
    send({kind: "location", lat: 31.739872, lng: 117.276543, label: "滨湖欣园"}, "[位置] 滨湖欣园");
  });
  identity.addEventListener("change", show);
  try {
    var saved = localStorage.getItem("gz-sandbox-identity");
    if (saved) { identity.value = saved; }
  } catch (e) { /* private mode */ }
  show();
  // pushes sent before the page opened are history: start after them
  fetch("/sandbox/api/pushes?openid=" + encodeURIComponent(identity.value)).then(function (r) { return r.json(); })
    .then(function (pushes) { pushes.forEach(function (p) { lastPush[identity.value] = Math.max(lastPush[identity.value] || 0, p.id); }); })
    .catch(function () {}).then(poll);
})();
