// The comment section, enhanced: posting, replying, voting, sorting,
// filtering and loading more happen in place, comments by others arrive
// live, and a paragraph's marker opens its comments beside it with the form.
// Every one of these works without this script, through plain links and
// forms; the script only saves the reloads.
(function () {
  "use strict";
  var section = document.querySelector("section.comments[data-comments]");
  if (!section || !window.fetch) return;
  var base = section.getAttribute("data-comments");
  var articleId = section.getAttribute("data-article");
  var list = section.querySelector("#comment-list");
  var form = section.querySelector("#comment-form");
  var formHome = form ? form.parentNode : null;
  var formNext = form ? form.nextSibling : null;
  var announcer = document.createElement("p");
  announcer.className = "visually-hidden";
  announcer.setAttribute("aria-live", "polite");
  section.appendChild(announcer);
  var unseen = 0;
  // The newest comment this page has shown or counted, and the inline
  // comments already counted beside their paragraphs (a reader's own
  // comment may come back from the live stream before its post answers).
  var seen = 0;
  var counted = {};
  var inCount = {};
  var current = {
    sort: section.getAttribute("data-sort") || "newest",
    filter: section.getAttribute("data-filter") || "all"
  };

  function say(text) {
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function fragment(html) {
    var t = document.createElement("template");
    t.innerHTML = html.trim();
    return t.content;
  }

  function json(url, options) {
    options = options || {};
    options.headers = Object.assign({ "Accept": "application/json" }, options.headers || {});
    options.credentials = "same-origin";
    return fetch(url, options).then(function (r) {
      return r.json().then(function (body) { return { status: r.status, body: body }; });
    });
  }

  function post(url, data) {
    return json(url, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(data).toString()
    });
  }

  function maxId() {
    var m = 0;
    section.querySelectorAll("li.comment[data-id]").forEach(function (li) {
      m = Math.max(m, parseInt(li.getAttribute("data-id"), 10) || 0);
    });
    return m;
  }

  function setCount(n) {
    var el = section.querySelector(".comment-count");
    if (el && typeof n === "number") el.textContent = n === 1 ? "1 Comment" : n + " Comments";
  }

  function bumpCount(by) {
    var el = section.querySelector(".comment-count");
    if (!el) return;
    var n = parseInt(el.textContent, 10) || 0;
    setCount(n + by);
  }

  // An inline comment published: the paragraph's marker, its panel and
  // "Inline Feedbacks" count it.
  function bumpInline(anchor, id) {
    if (counted[id]) return;
    counted[id] = true;
    var el = section.querySelector(".inline-count");
    if (el) el.textContent = ((parseInt(el.textContent, 10) || 0) + 1) + " Inline Feedbacks";
    var marker = document.querySelector('a.passage-marker[data-anchor="' + anchor + '"]');
    if (!marker) return;
    var count = marker.querySelector(".marker-count");
    if (!count) {
      count = document.createElement("span");
      count.className = "marker-count";
      count.setAttribute("aria-hidden", "true");
      count.textContent = "0";
      marker.querySelector(".marker-icon").insertAdjacentElement("afterend", count);
    }
    var n = (parseInt(count.textContent, 10) || 0) + 1;
    count.textContent = n;
    marker.classList.remove("empty");
    var label = marker.querySelector(".visually-hidden");
    var asked = marker.classList.contains("asked");
    var words = asked ? (n === 1 ? "1 answer" : n + " answers")
                      : (n === 1 ? "1 comment on this paragraph" : n + " comments on this paragraph");
    if (label) label.textContent = asked ? label.textContent.replace(/; [^;]*$/, "; " + words) : words;
    var panel = document.getElementById("passage-" + anchor);
    var tally = panel && panel.querySelector(".passage-answers-count");
    if (tally) tally.textContent = words.charAt(0).toUpperCase() + words.slice(1);
  }

  // The section or paragraph panel a node belongs to.
  function rootOf(node) {
    return (node && node.closest && node.closest(".passage-panel")) || section;
  }

  function itemIn(root, id) {
    return root.querySelector('li.comment[data-id="' + id + '"]');
  }

  // Puts a comment's <li> where it belongs in `root` (the section, or a
  // paragraph's panel): under its parent, or at the top.
  function place(html, parentId, root, last) {
    root = root || section;
    var nodes = fragment(html);
    var li = nodes.querySelector("li.comment");
    if (!li || itemIn(root, li.getAttribute("data-id"))) return null;
    var inPanel = root !== section;
    if (inPanel) {
      // The section may list the same comment: ids stay unique.
      li.querySelectorAll("[id^='comment-']").forEach(function (e) { e.id = "passage-" + e.id; });
      li.id = "passage-" + li.id;
      var by = li.querySelector("article[aria-labelledby]");
      if (by) by.setAttribute("aria-labelledby", "passage-" + by.getAttribute("aria-labelledby"));
    }
    var target = inPanel ? root.querySelector(".passage-list") : list;
    var parent = parentId ? itemIn(root, parentId) : null;
    // A reply to a comment not on this page waits for the page it is on.
    if (parentId && !parent) return null;
    if (parent) {
      var replies = parent.querySelector(":scope > ol.replies");
      if (!replies) {
        replies = document.createElement("ol");
        replies.className = "replies";
        parent.appendChild(replies);
      }
      replies.appendChild(li);
    } else if (target) {
      target.insertBefore(li, last ? null : target.firstChild);
      var none = root.querySelector(".no-comments");
      if (none) none.remove();
    }
    return li;
  }

  // --- The form: a fresh token, the proof of work, posting in place. ---
  var tokenFetched = null;
  function freshToken() {
    if (!form) return Promise.resolve();
    if (!tokenFetched) {
      tokenFetched = json("/comments/token").then(function (r) {
        if (r.status === 200 && r.body.token) {
          form.querySelector("[name=token]").value = r.body.token;
          if (r.body.pow_bits > 0) return work(r.body.token, r.body.pow_bits);
        }
      }).catch(function () {});
    }
    return tokenFetched;
  }

  function leadingZeroBits(bytes) {
    var bits = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { bits += 8; continue; }
      var b = bytes[i];
      while ((b & 0x80) === 0) { bits++; b <<= 1; }
      return bits;
    }
    return bits;
  }

  function work(challenge, bits) {
    if (!window.crypto || !window.crypto.subtle) return Promise.resolve();
    var enc = new TextEncoder();
    var nonce = 0;
    function step() {
      var batch = [];
      for (var i = 0; i < 64; i++, nonce++) {
        batch.push((function (n) {
          return crypto.subtle.digest("SHA-256", enc.encode(challenge + ":" + n)).then(function (d) {
            return leadingZeroBits(new Uint8Array(d)) >= bits ? String(n) : null;
          });
        })(nonce));
      }
      return Promise.all(batch).then(function (found) {
        var hit = found.filter(function (x) { return x !== null; })[0];
        if (hit !== undefined) { form.querySelector("[name=pow]").value = hit; return; }
        return step();
      });
    }
    return step();
  }

  function status(text) {
    var s = form.querySelector(".form-status");
    if (s) s.textContent = text;
  }

  function showErrors(body) {
    form.querySelectorAll(".field-error.js").forEach(function (e) { e.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (e) { e.removeAttribute("aria-invalid"); });
    var fields = body.fields || {};
    Object.keys(fields).forEach(function (name) {
      var input = form.querySelector("#comment-" + name);
      if (!input) return;
      input.setAttribute("aria-invalid", "true");
      var p = document.createElement("span");
      p.className = "field-error js";
      p.textContent = fields[name];
      input.insertAdjacentElement("afterend", p);
    });
    status(body.error || "Your comment was not posted.");
    if (body.token) {
      // The answer's token is fresh: keep it. Fetching another when the
      // reader presses Post again would restart the clock of the minimum
      // time, and refuse them again.
      form.querySelector("[name=token]").value = body.token;
      tokenFetched = Promise.resolve();
    }
  }

  function resetReply() {
    if (!form) return;
    form.querySelector("[name=parent_id]").value = "";
    form.querySelector("[name=anchor]").value = "";
    var h = form.querySelector(".comment-form-heading");
    if (h) h.textContent = "Leave a comment";
    var cancel = form.querySelector(".cancel-reply");
    if (cancel) cancel.remove();
    if (formHome) formHome.insertBefore(form, formNext);
  }

  if (form) {
    form.addEventListener("focusin", freshToken);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      status("Posting…");
      freshToken().then(function () {
        return post(form.getAttribute("action"), new FormData(form));
      }).then(function (r) {
        button.disabled = false;
        if (r.status === 201) {
          var root = rootOf(form);
          var li = place(r.body.html, r.body.parent_id, root);
          seen = Math.max(seen, r.body.id);
          if (r.body.status === "approved") {
            if (!inCount[r.body.id]) bumpCount(1);
            inCount[r.body.id] = true;
            if (r.body.anchor) bumpInline(r.body.anchor, r.body.id);
            // Said beside a paragraph, it belongs in the section too.
            if (root !== section && (r.body.parent_id || (current.sort === "newest" && current.filter === "all"))) {
              place(r.body.html, r.body.parent_id, section);
            }
          }
          form.querySelector("#comment-body").value = "";
          // A form token sends a few comments at most: the next comment
          // starts with a fresh one.
          tokenFetched = null;
          form.querySelectorAll(".field-error.js").forEach(function (x) { x.remove(); });
          if (root === section) resetReply(); else intoPanel(root);
          status(r.body.message);
          say(r.body.message);
          if (li) { li.classList.add("comment-new"); enhanceMine(); }
          document.cookie.indexOf("dateline_commented=1") >= 0 && loadMine();
        } else {
          showErrors(r.body);
        }
      }).catch(function () {
        button.disabled = false;
        status("The comment could not be sent: check your connection and try again. Your text is kept.");
      });
    });
  }

  // --- Replies: the form moves under the comment answered. ---
  document.addEventListener("click", function (e) {
    var link = e.target.closest("a[data-reply]");
    if (!link || !form) return;
    e.preventDefault();
    var li = itemIn(rootOf(link), link.getAttribute("data-reply"));
    if (!li) return;
    li.querySelector(":scope > article").insertAdjacentElement("afterend", form);
    form.querySelector("[name=parent_id]").value = link.getAttribute("data-reply");
    var h = form.querySelector(".comment-form-heading");
    if (h) h.textContent = "Reply to " + link.getAttribute("data-author");
    if (!form.querySelector(".cancel-reply")) {
      var c = document.createElement("button");
      c.type = "button";
      c.className = "cancel-reply";
      c.textContent = "Cancel reply";
      c.addEventListener("click", function () {
        // Inside a paragraph's panel, the form goes back to its foot.
        var panel = form.closest(".passage-panel");
        if (panel) intoPanel(panel); else resetReply();
      });
      form.querySelector(".form-actions").appendChild(c);
    }
    form.querySelector("#comment-body").focus();
  });

  // --- "Notify of", in place. ---
  var notify = section.querySelector("form.notify-form");
  if (notify) {
    notify.addEventListener("submit", function (e) {
      e.preventDefault();
      var out = notify.querySelector(".form-status");
      post(notify.getAttribute("action"), new FormData(notify)).then(function (r) {
        out.textContent = r.body.message || r.body.error || "";
      }).catch(function () {
        out.textContent = "The request could not be sent: check your connection and try again.";
      });
    });
  }

  // --- Paragraphs: a marker opens the paragraph's comments and the form
  // beside it; without script it leads to the paragraph's own page. ---
  var openPanel = null;

  function intoPanel(panel) {
    if (!form) return;
    var f = panel.querySelector(".passage-list");
    f.insertAdjacentElement("afterend", form);
    form.querySelector("[name=parent_id]").value = "";
    form.querySelector("[name=anchor]").value = panel.getAttribute("data-anchor");
    var h = form.querySelector(".comment-form-heading");
    if (h) h.textContent = panel.querySelector(".passage-question") ? "Answer the editors’ question" : "Comment on this paragraph";
    var cancel = form.querySelector(".cancel-reply");
    if (cancel) cancel.remove();
  }

  function closePanel() {
    if (!openPanel) return;
    if (form && openPanel.contains(form)) resetReply();
    var marker = document.querySelector('a.passage-marker[data-anchor="' + openPanel.getAttribute("data-anchor") + '"]');
    openPanel.remove();
    openPanel = null;
    if (marker) { marker.setAttribute("aria-expanded", "false"); marker.focus(); }
  }

  document.addEventListener("click", function (e) {
    var marker = e.target.closest("a.passage-marker[data-anchor]");
    if (!marker) return;
    e.preventDefault();
    var anchor = marker.getAttribute("data-anchor");
    var wasOpen = openPanel && openPanel.getAttribute("data-anchor") === anchor;
    closePanel();
    if (wasOpen) return;
    json(partial(marker.getAttribute("href"))).then(function (r) {
      if (r.status !== 200) { window.location = marker.getAttribute("href"); return; }
      var panel = fragment(r.body.html).querySelector(".passage-panel");
      panel.setAttribute("tabindex", "-1");
      panel.setAttribute("role", "region");
      panel.setAttribute("aria-label", "Comments on this paragraph");
      var close = document.createElement("button");
      close.type = "button";
      close.className = "passage-close";
      close.textContent = "Close";
      close.addEventListener("click", closePanel);
      panel.insertBefore(close, panel.firstChild);
      marker.closest("p").insertAdjacentElement("afterend", panel);
      openPanel = panel;
      marker.setAttribute("aria-expanded", "true");
      if (r.body.open) intoPanel(panel);
      panel.focus();
      enhanceMine();
      say(r.body.answers === 1 ? "1 comment on this paragraph." : r.body.answers + " comments on this paragraph.");
    }).catch(function () { window.location = marker.getAttribute("href"); });
  });

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && openPanel && openPanel.contains(document.activeElement)) closePanel();
  });

  // --- Votes. ---
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (!f.classList || !f.classList.contains("vote")) return;
    e.preventDefault();
    var button = e.submitter || f.querySelector("button");
    post(f.getAttribute("action"), { value: button.value }).then(function (r) {
      if (r.status !== 200) { say(r.body.error || "The vote was not counted."); return; }
      var up = f.querySelector(".vote-up"), down = f.querySelector(".vote-down");
      up.querySelector(".n").textContent = r.body.upvotes;
      down.querySelector(".n").textContent = r.body.downvotes;
      up.setAttribute("aria-pressed", r.body.yours === 1 ? "true" : "false");
      down.setAttribute("aria-pressed", r.body.yours === -1 ? "true" : "false");
      say("Vote counted.");
    });
  });

  // --- Sorting and loading more. ---
  function partial(url) {
    return url + (url.indexOf("?") >= 0 ? "&" : "?") + "partial=1";
  }

  function setMore(next) {
    var p = section.querySelector(".load-more");
    if (!next) { if (p) p.remove(); return; }
    if (!p) {
      p = document.createElement("p");
      p.className = "load-more";
      p.innerHTML = '<a data-more href="#">Load more comments</a>';
      list.insertAdjacentElement("afterend", p);
    }
    p.querySelector("a").setAttribute("href", next);
  }

  section.addEventListener("click", function (e) {
    var choice = e.target.closest("a[data-sort], a[data-filter]");
    var more = e.target.closest("a[data-more]");
    if (choice && list) {
      e.preventDefault();
      var kind = choice.hasAttribute("data-sort") ? "sort" : "filter";
      current[kind] = choice.getAttribute("data-" + kind);
      var query = "?sort=" + current.sort + (current.filter === "all" ? "" : "&filter=" + current.filter);
      json(partial(base + query)).then(function (r) {
        list.innerHTML = "";
        list.appendChild(fragment(r.body.html));
        setMore(r.body.next);
        section.querySelectorAll("a[data-" + kind + "]").forEach(function (a) {
          if (a === choice) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
        });
        var shown = [];
        if (current.sort !== "newest") shown.push("sort=" + current.sort);
        if (current.filter !== "all") shown.push("filter=" + current.filter);
        history.replaceState(null, "", base.replace(/\/comments$/, "") + (shown.length ? "?" + shown.join("&") : "") + "#comments");
        enhanceMine();
        say(kind === "sort" ? "Comments sorted: " + choice.textContent + "." : "Showing: " + choice.textContent + ".");
      });
    } else if (more && list) {
      e.preventDefault();
      json(partial(more.getAttribute("href"))).then(function (r) {
        var nodes = fragment(r.body.html);
        // A fragment has no :scope; its top-level items are its children.
        Array.prototype.slice.call(nodes.children).forEach(function (li) {
          if (li.matches("li.comment") && !section.querySelector("#" + li.id)) list.appendChild(li);
        });
        setMore(r.body.next);
        enhanceMine();
        say("More comments loaded.");
      });
    }
  });

  // --- The reader's own comments: held ones, and edit and delete. ---
  var mine = {};
  function enhanceMine() {
    Object.keys(mine).forEach(function (id) {
      var c = mine[id];
      var li = section.querySelector("#comment-" + id) ||
        (openPanel && itemIn(openPanel, id));
      if (!li || !c.editable_until) return;
      var slot = li.querySelector(":scope > article .owner-actions");
      if (!slot || !slot.hidden) return;
      slot.hidden = false;
      slot.innerHTML = '<a href="/comments/' + id + '/edit">Edit</a> <form method="post" action="/comments/' +
        id + '/delete" class="inline-delete"><button type="submit">Delete</button></form>';
      slot.querySelector("form").addEventListener("submit", function (e) {
        e.preventDefault();
        if (!window.confirm("Delete your comment?")) return;
        post("/comments/" + id + "/delete", {}).then(function (r) {
          if (r.status === 200) { li.remove(); bumpCount(-1); say("Your comment was deleted."); }
        });
      });
    });
  }

  // A newsroom account signed in here comments under its own name.
  function asNewsroom(name) {
    if (!form) return;
    ["name", "email", "website"].forEach(function (f) {
      var input = form.querySelector("#comment-" + f);
      if (!input) return;
      input.required = false;
      input.closest("p").hidden = true;
    });
    var note = document.createElement("p");
    note.className = "help";
    note.textContent = "Commenting as " + name + " (newsroom).";
    form.querySelector(".comment-fields").insertAdjacentElement("beforebegin", note);
  }

  function loadMine() {
    json("/comments/mine?article=" + encodeURIComponent(articleId)).then(function (r) {
      if (r.status !== 200) return;
      if (r.body.newsroom) asNewsroom(r.body.newsroom.name);
      (r.body.comments || []).slice().reverse().forEach(function (c) {
        mine[c.id] = c;
        if (c.pending && c.html) place(c.html, c.parent_id);
      });
      enhanceMine();
    }).catch(function () {});
  }
  // The session cookie is HttpOnly: a newsroom account is asked about on
  // pages of a site whose newsroom this browser has used.
  if ((document.cookie.indexOf("dateline_commented=1") >= 0 ||
       document.cookie.indexOf("dateline_newsroom=1") >= 0) && articleId) loadMine();

  seen = maxId();

  // --- Live: comments by others appear while the reader is here. ---
  var live = section.getAttribute("data-live");
  if (live && window.EventSource) {
    var busy = false;
    var source = new EventSource(live);
    // A page that does not list the newest comments first learns which is
    // the newest, so older ones on later pages are not taken for new.
    source.addEventListener("ready", function (e) {
      if (current.sort !== "newest" || current.filter !== "all") seen = Math.max(seen, parseInt(e.data, 10) || 0);
    });
    source.addEventListener("changed", function () {
      if (busy) return;
      busy = true;
      json(base + "/latest?after=" + seen).then(function (r) {
        busy = false;
        var added = 0;
        // A new thread goes where its order puts it: at the top of the
        // newest first, at the end of the oldest first once every page is
        // here; elsewhere (most voted, inline only) it is counted, not shown.
        var all = current.filter === "all";
        var atTop = all && current.sort === "newest";
        var atEnd = all && current.sort === "oldest" && !section.querySelector(".load-more");
        (r.body.comments || []).forEach(function (c) {
          seen = Math.max(seen, c.id);
          inCount[c.id] = true;
          if (c.anchor) {
            bumpInline(c.anchor, c.id);
            if (openPanel && openPanel.getAttribute("data-anchor") === c.anchor) {
              var inPanel = place(c.html, c.parent_id, openPanel);
              if (inPanel) inPanel.classList.add("comment-new");
            }
          }
          if (!c.parent_id && !atTop && !atEnd) { added++; return; }
          var li = place(c.html, c.parent_id, section, atEnd);
          if (li) { li.classList.add("comment-new"); added++; }
        });
        if (typeof r.body.count === "number") setCount(r.body.count);
        if (added) {
          unseen += added;
          updateBubble();
          say(added === 1 ? "1 new comment." : added + " new comments.");
        }
      }).catch(function () { busy = false; });
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  // --- The bubble: after a while of reading, an invitation to comment. ---
  var bubble = null;
  function updateBubble() {
    if (!bubble) return;
    var n = bubble.querySelector(".bubble-new");
    n.textContent = unseen > 0 ? (unseen === 1 ? "1 new comment" : unseen + " new comments") : "";
  }
  if (section.hasAttribute("data-bubble")) {
    window.setTimeout(function () {
      var rect = section.getBoundingClientRect();
      if (rect.top < window.innerHeight) return;
      bubble = document.createElement("div");
      bubble.className = "comment-bubble";
      bubble.innerHTML = '<a href="#comments">Join the discussion <span class="bubble-new"></span></a>' +
        '<button type="button" aria-label="Close">×</button>';
      bubble.querySelector("button").addEventListener("click", function () { bubble.remove(); bubble = null; });
      bubble.querySelector("a").addEventListener("click", function () { unseen = 0; updateBubble(); });
      document.body.appendChild(bubble);
      updateBubble();
    }, 45000);
  }
})();
