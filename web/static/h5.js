// The residents' pages work without this file; with it: the 1315 countdown ticks, 随手拍 suggests a
// category as the resident types and offers 我也遇到 when the same problem is already reported, and
// inside WeChat the JS-SDK (when the operator serves it, see README) takes photos and the location.
(function () {
  "use strict";
  var countdown = document.getElementById("countdown");
  if (countdown) {
    var due = Date.parse(countdown.getAttribute("data-due"));
    var left = countdown.querySelector(".left");
    var tick = function () {
      var s = Math.round((due - Date.now()) / 1000);
      if (s <= 0) { left.textContent = countdown.classList.contains("late") ? "" : countdown.getAttribute("data-late"); countdown.classList.add("late"); return; }
      var m = Math.floor(s / 60), r = s % 60;
      left.textContent = countdown.getAttribute("data-left") + " " + m + ":" + (r < 10 ? "0" : "") + r;
      setTimeout(tick, 1000);
    };
    tick();
  }
  var here = document.getElementById("nearby-here");
  if (here && (window.wx || navigator.geolocation)) {  // 附近 around where the resident stands
    here.hidden = false;
    here.addEventListener("click", function () {
      var go = function (la, ln) { location.href = "/h5/nearby?lat=" + la + "&lng=" + ln; };
      if (window.wx && window.wx.getLocation) {
        window.wx.getLocation({type: "wgs84", success: function (r) { go(r.latitude, r.longitude); }});
      } else {
        navigator.geolocation.getCurrentPosition(function (p) { go(p.coords.latitude, p.coords.longitude); });
      }
    });
  }
  var report = document.getElementById("report");
  if (!report) { return; }
  var text = document.getElementById("report-text"), place = document.getElementById("report-place");
  var hint = document.getElementById("suggest"), offer = document.getElementById("offer");
  var lat = document.getElementById("report-lat"), lng = document.getElementById("report-lng");
  var timer = null;
  var ask = function () {
    var q = "text=" + encodeURIComponent(text.value) + "&compound=" + encodeURIComponent(place.value) +
            "&lat=" + encodeURIComponent(lat.value) + "&lng=" + encodeURIComponent(lng.value);
    fetch("/h5/report/suggest?" + q, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (a) {
      hint.textContent = a.hint || "";
      if (a.category) { document.getElementById("report-category").value = a.category; }
      if (a.compound && !place.value) { place.value = a.compound; }
      offer.hidden = !a.duplicate;
      if (a.duplicate) {
        offer.querySelector(".what").textContent = a.duplicate.text;
        offer.querySelector("form").setAttribute("action", "/h5/cases/" + a.duplicate.number + "/follow");
        offer.querySelector("input[name=offer]").value = a.duplicate.offer;
      }
    }).catch(function () {});
  };
  var later = function () { clearTimeout(timer); timer = setTimeout(ask, 400); };
  text.addEventListener("input", later);
  place.addEventListener("change", later);
  var filter = document.getElementById("place-search");
  if (filter) {
    filter.addEventListener("input", function () {
      var words = filter.value.trim();
      Array.prototype.forEach.call(place.options, function (o) { o.hidden = words && o.value && o.textContent.indexOf(words) < 0; });
    });
  }
  var wxPhoto = document.getElementById("wx-photo");
  if (window.wx && wxPhoto) {  // inside WeChat with the JS-SDK: photos and the location through WeChat
    fetch("/h5/jssdk?url=" + encodeURIComponent(location.href.split("#")[0]), {credentials: "same-origin"})
      .then(function (r) { return r.json(); }).then(function (c) {
        window.wx.config({appId: c.appId, timestamp: c.timestamp, nonceStr: c.nonceStr, signature: c.signature,
                          jsApiList: ["chooseImage", "uploadImage", "getLocation"]});
        window.wx.ready(function () { wxPhoto.hidden = false; });
      }).catch(function () {});
    wxPhoto.addEventListener("click", function () {
      window.wx.chooseImage({count: 6, sizeType: ["compressed"], success: function (chosen) {
        chosen.localIds.forEach(function (id) {
          window.wx.uploadImage({localId: id, isShowProgressTips: 1, success: function (up) {
            var input = document.createElement("input");
            input.type = "hidden"; input.name = "wx_media"; input.value = up.serverId;
            document.getElementById("wx-media").appendChild(input);
          }});
        });
      }});
    });
  }
  var locate = document.getElementById("locate");
  if (locate) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      var done = function (la, ln) { lat.value = la; lng.value = ln; later(); };
      if (window.wx && window.wx.getLocation) {
        window.wx.getLocation({type: "wgs84", success: function (r) { done(r.latitude, r.longitude); }});
      } else if (navigator.geolocation) {
        navigator.geolocation.getCurrentPosition(function (p) { done(p.coords.latitude, p.coords.longitude); });
      }
    });
  }
})();
