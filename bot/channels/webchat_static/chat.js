// The residents' web chat: messages to our Rasa channel, staff replies by long-poll after a handoff.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var input = document.getElementById("input");
  var send = document.getElementById("send");
  var status = document.getElementById("status");
  var params = new URLSearchParams(location.search);
  var region = /^[0-9]{2,12}$/.test(params.get("region") || "") ? params.get("region") : null;

  function newSender() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "web-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  var isNew = !sessionStorage.getItem("jiuzhu-sender");
  var sender = sessionStorage.getItem("jiuzhu-sender") || newSender();
  sessionStorage.setItem("jiuzhu-sender", sender);
  var lastReply = parseInt(sessionStorage.getItem("jiuzhu-last-reply") || "0", 10);
  var polling = false;
  var busy = false;

  function scroll() { log.scrollTop = log.scrollHeight; }

  function bubble(kind, text, who) {
    var div = document.createElement("div");
    div.className = "msg " + kind;
    if (who) {
      var name = document.createElement("span");
      name.className = "who";
      name.textContent = who;
      div.appendChild(name);
    }
    // The assistant's answers end with their sources (依据：…): shown apart, so a resident sees them.
    var body = [];
    var sources = [];
    text.split("\n").forEach(function (line) { (/^(依据|来源)[:：]/.test(line) ? sources : body).push(line); });
    div.appendChild(document.createTextNode(body.join("\n")));
    sources.forEach(function (line) {
      var source = document.createElement("span");
      source.className = "source";
      source.textContent = line;
      div.appendChild(source);
    });
    log.appendChild(div);
    scroll();
    return div;
  }

  function clearChoices() {
    Array.prototype.forEach.call(log.querySelectorAll(".choices"), function (c) { c.remove(); });
  }

  function choices(buttons) {
    if (!buttons || !buttons.length) return;
    var box = document.createElement("div");
    box.className = "choices";
    buttons.forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = b.title;
      button.addEventListener("click", function () { say(b.payload, b.title); });
      box.appendChild(button);
    });
    log.appendChild(box);
    scroll();
  }

  function setStatus(text, kind) {
    status.textContent = text || "";
    status.className = kind || "";
  }

  function waiting(on) {
    if (on) {
      setStatus("已为您转人工：工作人员会在这里回复您，请不要关闭页面。", "waiting");
      poll();
    } else if (status.className === "waiting") {
      setStatus("");
    }
  }

  function post(text) {
    var body = {sender: sender, message: text};
    if (region) body.region = region;
    return fetch("webhook", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)})
      .then(function (resp) {
        return resp.json().then(function (data) {
          if (!resp.ok) throw new Error((data.error && data.error.message_zh) || "发送失败");
          return data;
        });
      });
  }

  function say(text, shown) {
    if (busy || !text.trim()) return;
    busy = true;
    send.disabled = true;
    clearChoices();
    if (shown !== null) bubble("user", shown || text);
    setStatus("正在回复…");
    post(text).then(function (data) {
      setStatus("");
      data.messages.forEach(function (m) { if (m.text) bubble("bot", m.text); });
      var last = data.messages[data.messages.length - 1];
      if (last) choices(last.buttons);
      waiting(data.waiting_for_staff);
    }).catch(function (error) {
      setStatus(error.message === "Failed to fetch" ? "网络不通，请稍后再发一次。" : error.message, "error");
    }).finally(function () {
      busy = false;
      send.disabled = false;
      input.focus();
    });
  }

  // Long-poll: the server holds the request until a staff reply arrives (or ~25 s pass).
  function poll() {
    if (polling) return;
    polling = true;
    (function next() {
      fetch("replies?sender=" + encodeURIComponent(sender) + "&after=" + lastReply)
        .then(function (resp) { if (!resp.ok) throw new Error(String(resp.status)); return resp.json(); })
        .then(function (data) {
          data.messages.forEach(function (m) {
            lastReply = Math.max(lastReply, m.id);
            if (m.author === "staff") bubble("staff", m.text, m.from);
            else bubble("system", m.text);
          });
          sessionStorage.setItem("jiuzhu-last-reply", String(lastReply));
          if (data.waiting_for_staff) {
            setStatus("已为您转人工：工作人员会在这里回复您，请不要关闭页面。", "waiting");
            next();
          } else {
            polling = false;
            waiting(false);
          }
        })
        .catch(function () { setTimeout(next, 3000); });
    })();
  }

  document.getElementById("composer").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim() || busy) return;
    input.value = "";
    say(text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      document.getElementById("composer").requestSubmit();
    }
  });

  if (isNew) say("/greet", null);  // the assistant's own welcome, as WeChat's follow event gets
  else poll();  // a reloaded page: replies may be waiting
})();
