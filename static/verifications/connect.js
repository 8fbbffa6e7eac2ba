// The connect page: opens Smile's Wink widget and reports its callbacks to our backend.
// Served from our origin (the page's Content-Security-Policy allows no inline script).
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("connect-config").textContent);
  var csrfToken = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  var UNAVAILABLE = "We cannot reach our secure verification partner right now. " +
    "Your link still works: open it again a little later.";
  var connected = [];
  // Callbacks are reported one after another, so the server sees them in the order fired.
  var reported = Promise.resolve();

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify(body),
    });
  }

  // `answered` gets the backend's reply ({} when there is none), before the next report.
  function report(name, data, answered) {
    reported = reported.then(function () {
      return post(config.eventsUrl, { name: name, data: data || {} }).then(function (response) {
        return response.ok ? response.json() : {};
      }).catch(function () {
        return {};
      }).then(answered || function () {});
    });
    return reported;
  }

  function show(id) {
    ["intro", "connected", "done", "problem"].forEach(function (section) {
      // The list of connected accounts (with "Connect another account") stays in view,
      // below the thank-you (the page puts #done before #connected).
      var withList = section === "connected" && connected.length && id !== "problem";
      document.getElementById(section).hidden = section !== id && !withList;
    });
  }

  // By the name the widget showed, which the backend asks Smile for; the id if it cannot.
  function listAccount(name) {
    var item = document.createElement("li");
    item.textContent = name;
    document.getElementById("accounts").appendChild(item);
  }

  function problem(text) {
    if (text) {
      document.getElementById("problem-text").textContent = text;
    }
    show("problem");
  }

  function freshToken() {
    return post(config.tokenUrl, {}).then(function (response) {
      if (!response.ok) {
        throw new Error("no token");
      }
      return response.json();
    }).then(function (body) {
      return body.userToken;
    });
  }

  function open(userToken) {
    if (typeof window.SmileLinkModal !== "function") {
      problem("The secure window could not be loaded. Please check your connection and reload.");
      return;
    }
    var options = {
      userToken: userToken,
      apiHost: config.apiHost,
      companyName: config.companyName,
      onAccountCreated: function (data) { report("onAccountCreated", data); },
      onAccountConnected: function (data) {
        connected.push(data);
        report("onAccountConnected", data, function (reply) {
          listAccount(reply.providerName || (data && data.providerId) || "An account");
        });
      },
      onAccountRemoved: function (data) { report("onAccountRemoved", data); },
      onAccountError: function (data) { report("onAccountError", data); },
      onTokenExpired: function () {
        report("onTokenExpired", {});
        freshToken().then(open, function () {
          problem("Your session expired and a new one could not be started. Please reload.");
        });
      },
      onClose: function (data) {
        report("onClose", data).then(function () {
          show(data && data.reason === "exit" && connected.length ? "done" : "intro");
        });
      },
      onUploadsCreated: function (data) { report("onUploadsCreated", data); },
      onUploadsRemoved: function (data) { report("onUploadsRemoved", data); },
      onUIEvent: function (data) { report("onUIEvent", data); },
    };
    if (config.templateId) {
      options.templateId = config.templateId;
    }
    new window.SmileLinkModal(options).open();
  }

  // Asked for on load, so the widget opens at once; this request, not the page's GET, is
  // what marks the invite opened (link previews fetch the page but run no script). It
  // serves the first launch only: each launch needs a fresh token.
  var firstToken = freshToken();
  firstToken.then(function () {
    document.getElementById("intro").dataset.state = "ready";
  }, function () {
    problem(UNAVAILABLE);
  });

  function start() {
    var pending = firstToken || freshToken();
    firstToken = null;
    pending.then(open, function () {
      problem(UNAVAILABLE);
    });
  }

  document.getElementById("start").addEventListener("click", start);
  document.getElementById("more").addEventListener("click", start);
})();
