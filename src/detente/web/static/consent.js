/* Consent of the bound party in the browser: a representative's Ed25519 key made and kept by WebCrypto (the private
   half is not extractable and never leaves this browser), and the consent statement signed with it.

   The statement format is docs/verification.md's "Consent of the bound party":
     detente-consent/v1, origin, entry, leaf, party, decision, reason (hex SHA-256 of the reason), one per line.
   Before signing, the page's copy of the proposal's log entry is hashed here (RFC 6962 leaf: SHA-256 of 0x00 and the
   entry bytes) and must equal the leaf hash named in the statement, so the signature accepts that entry and no other.
   Without WebCrypto Ed25519 the page says so; the command line (`detente verify accept`) works everywhere. */
(function () {
  "use strict";

  var DB_NAME = "detente-keys";
  var STORE = "keys";
  var subtle = window.crypto && window.crypto.subtle;

  function openStore() {
    return new Promise(function (resolve, reject) {
      var request = window.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, work) {
    return openStore().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(result.result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function loadKey(slot) { return withStore("readonly", function (s) { return s.get(slot); }); }
  function saveKey(slot, pair) { return withStore("readwrite", function (s) { return s.put(pair, slot); }); }

  function toBase64(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return window.btoa(text);
  }

  function fromBase64(text) {
    var raw = window.atob(text);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function say(node, text, bad) {
    if (!node) { return; }
    node.textContent = text;
    node.classList.toggle("flag", Boolean(bad));
  }

  function supported() {
    if (!subtle || !window.indexedDB) { return Promise.resolve(false); }
    return subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]).then(
      function () { return true; }, function () { return false; });
  }

  var UNSUPPORTED = "This browser cannot sign with Ed25519. Use the command line instead: " +
    "detente keys new, then detente verify accept (see below).";

  // The keys page: make this browser's key, register its public half.
  var maker = document.getElementById("browser-key");
  if (maker) {
    var makeForm = maker.querySelector("form.make-key");
    var makeStatus = maker.querySelector(".key-status");
    var slot = maker.dataset.keySlot;
    loadKey(slot).then(function (pair) {
      if (pair) { say(makeStatus, "This browser already holds a key for you in this process."); }
    }, function () { return null; });
    makeForm.addEventListener("submit", function (event) {
      event.preventDefault();
      supported().then(function (ok) {
        if (!ok) { throw new Error(UNSUPPORTED); }
        return subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
      }).then(function (pair) {
        return subtle.exportKey("raw", pair.publicKey).then(function (raw) {
          return saveKey(slot, pair).then(function () { return raw; });
        });
      }).then(function (raw) {
        makeForm.elements.public_key.value = toBase64(raw);
        say(makeStatus, "Key made; registering its public half…");
        makeForm.submit();
      }).catch(function (err) { say(makeStatus, err.message || String(err), true); });
    });
  }

  // A proposal awaiting the representative's party: build the statement, check the entry, sign, submit.
  var box = document.getElementById("consent");
  if (box) {
    var status = box.querySelector(".sign-status");
    var forms = box.querySelectorAll("form.sign-form");
    var statement = function (decision, reason) {
      return subtle.digest("SHA-256", new TextEncoder().encode(reason)).then(function (digest) {
        return "detente-consent/v1\n" +
          "origin " + box.dataset.origin + "\n" +
          "entry " + box.dataset.entryIndex + "\n" +
          "leaf " + box.dataset.leaf + "\n" +
          "party " + box.dataset.party + "\n" +
          "decision " + decision + "\n" +
          "reason " + hex(digest) + "\n";
      });
    };
    var checkEntry = function () {
      var entry = fromBase64(box.dataset.entry);
      var leaf = new Uint8Array(entry.length + 1);
      leaf[0] = 0;
      leaf.set(entry, 1);
      return subtle.digest("SHA-256", leaf).then(function (digest) {
        if (toBase64(digest) !== box.dataset.leaf) {
          throw new Error("The log entry sent for signing does not match its leaf hash: nothing was signed.");
        }
      });
    };
    Array.prototype.forEach.call(forms, function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var decision = form.dataset.decision;
        var reason = form.elements.reason ? form.elements.reason.value.trim() : "";
        if (decision === "decline" && !reason) { say(status, "Say why your party declines.", true); return; }
        say(status, "Signing…");
        supported().then(function (ok) {
          if (!ok) { throw new Error(UNSUPPORTED); }
          return loadKey(box.dataset.keySlot);
        }).then(function (pair) {
          if (!pair) { throw new Error("This browser holds no key of yours for this process: create one on the Party keys page."); }
          return checkEntry().then(function () { return statement(decision, reason); }).then(function (text) {
            return subtle.sign({ name: "Ed25519" }, pair.privateKey, new TextEncoder().encode(text));
          });
        }).then(function (signature) {
          form.elements.signature.value = toBase64(signature);
          if (form.elements.reason) { form.elements.reason.value = reason; }
          say(status, "Signed; submitting…");
          form.submit();
        }).catch(function (err) { say(status, err.message || String(err), true); });
      });
    });
  }
}());
