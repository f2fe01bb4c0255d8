// inspect_app — the public forms on a phone (the report and the follow-up on /track):
// photos upload as soon as they are chosen, nothing typed or attached is lost, the
// ward is found by typing, the location is attached on request. Enhancement only:
// without this file the plain multipart forms work as they are.
"use strict";

const MB = 1024 * 1024;
const KEPT_PREFIX = "public-form:v1:";

// The "{name}" placeholders of the page's translated strings.
function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (match, name) => String(values[name] ?? match));
}

function fold(text) {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function keptKey(form) {
  return `${KEPT_PREFIX}${form.getAttribute("action") || location.pathname}`;
}

const kept = {
  get(key) {
    try { return JSON.parse(sessionStorage.getItem(key) || "null"); } catch (error) { return null; }
  },
  set(key, value) {
    try { sessionStorage.setItem(key, JSON.stringify(value)); } catch (error) { /* full or off */ }
  },
  clearAll() {
    try {
      Object.keys(sessionStorage).filter((key) => key.startsWith(KEPT_PREFIX))
        .forEach((key) => sessionStorage.removeItem(key));
    } catch (error) { /* off */ }
  },
};

// One photo of the list: thumbnail, name, progress, status and its buttons.
class PhotoItem {
  constructor(list, name) {
    this.li = element("li", "staged-photo");
    this.thumb = element("span", "thumb-slot");
    this.name = element("span", "staged-name", name);
    this.status = element("span", "staged-status");
    this.progress = element("progress");
    this.progress.max = 1;
    this.progress.value = 0;
    this.actions = element("span", "staged-actions");
    const text = element("span");
    text.append(this.name, this.progress, this.status);
    this.li.append(this.thumb, text, this.actions);
    list.append(this.li);
  }

  button(label, onClick) {
    const button = element("button", "button small", label);
    button.type = "button";
    button.addEventListener("click", onClick);
    this.actions.append(button);
    return button;
  }
}

class PhotoUploads {
  constructor(form, box) {
    this.form = form;
    this.box = box;
    this.input = box.querySelector('input[type="file"]');
    this.list = box.querySelector("[data-staged-list]");
    this.text = this.list.dataset;
    this.key = form.querySelector('input[name="form_key"]');
    this.maxBytes = Number(box.dataset.maxBytes);
    this.maxPhotos = Number(box.dataset.maxPhotos);
    this.pending = new Set();
    this.onChange = () => {};
    this.input.addEventListener("change", () => this.takeChosen());
    this.list.querySelectorAll("[data-token]").forEach((li) => this.adoptServerItem(li));
    this.takeChosen(); // photos chosen while this script was still on its way
  }

  takeChosen() {
    if (!this.input.files.length) return;
    [...this.input.files].forEach((file) => this.add(file));
    this.input.value = ""; // already sent, one by one: not again with the form
  }

  accepted() {
    return [...this.list.querySelectorAll("input[name='staged']")].map((input) => input.closest("li"));
  }

  add(file) {
    const item = new PhotoItem(this.list, file.name);
    const remove = () => { item.li.remove(); this.onChange(); };
    if (file.size > this.maxBytes) {
      this.refuse(item, fill(this.text.strTooBig, { size: (file.size / MB).toFixed(1), limit: this.maxBytes / MB }), remove);
    } else if (this.accepted().length + this.pending.size >= this.maxPhotos) {
      this.refuse(item, this.text.strTooMany, remove);
    } else {
      this.upload(item, file);
    }
  }

  refuse(item, reason, remove) {
    item.li.classList.add("is-refused");
    item.progress.remove();
    item.status.textContent = reason;
    item.actions.replaceChildren();
    item.button(this.text.strRemove, remove || (() => { item.li.remove(); this.onChange(); }));
  }

  upload(item, file) {
    item.li.classList.remove("is-offline");
    item.actions.replaceChildren();
    item.status.textContent = this.text.strUploading;
    const data = new FormData();
    data.append("form_key", this.key.value);
    data.append("photo", file, file.name);
    const request = new XMLHttpRequest();
    request.open("POST", this.box.dataset.uploadUrl);
    request.responseType = "json";
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) item.progress.value = event.loaded / event.total;
    });
    request.addEventListener("load", () => {
      const body = request.response || {};
      if (request.status === 200 && body.token) this.accept(item, body.token, body.thumb);
      else if (body.error) this.refuse(item, body.error);
      else this.offline(item, file);
      this.finished(item);
    });
    request.addEventListener("error", () => { this.offline(item, file); this.finished(item); });
    this.pending.add(item);
    request.send(data);
  }

  finished(item) {
    this.pending.delete(item);
    this.onChange();
  }

  offline(item, file) {
    item.li.classList.add("is-offline");
    item.status.textContent = this.text.strOffline;
    item.actions.replaceChildren();
    item.button(this.text.strRetry, () => this.upload(item, file));
    item.button(this.text.strRemove, () => { item.li.remove(); this.onChange(); });
  }

  accept(item, token, thumb) {
    item.li.dataset.token = token;
    const image = element("img");
    image.src = thumb;
    image.alt = item.name.textContent;
    image.width = image.height = 72;
    item.thumb.replaceWith(image);
    item.progress.remove();
    item.status.textContent = "";
    const hidden = element("input");
    hidden.type = "hidden";
    hidden.name = "staged";
    hidden.value = token;
    item.li.append(hidden);
    item.actions.replaceChildren();
    item.button(this.text.strRemove, () => this.discard(item.li));
  }

  adoptServerItem(li) {
    const remove = li.querySelector("button[name='remove_staged']");
    if (!remove) return;
    remove.type = "button";
    remove.addEventListener("click", () => this.discard(li));
  }

  discard(li) {
    const data = new FormData();
    data.append("form_key", this.key.value);
    data.append("token", li.dataset.token);
    fetch(this.box.dataset.removeUrl, { method: "POST", body: data, credentials: "same-origin" })
      .catch(() => { /* the sweep removes it later */ });
    li.remove();
    this.onChange();
  }

  restore(photos) {
    photos.forEach((photo) => this.accept(new PhotoItem(this.list, photo.name), photo.token, photo.thumb));
  }

  snapshot() {
    return this.accepted().map((li) => ({
      token: li.dataset.token,
      thumb: li.querySelector("img") ? li.querySelector("img").src : "",
      name: li.querySelector("img") ? li.querySelector("img").alt : "",
    }));
  }
}

// Sending waits for the photos still uploading, says so, and happens once.
function setUpSending(form, uploads) {
  const status = form.querySelector("[data-submit-status]");
  const button = form.querySelector("[type='submit']:not([name='remove_staged']):not([formnovalidate])");
  const text = uploads ? uploads.text : {};
  let waiting = false;
  let sending = false;
  const report = () => {
    if (!uploads || !status) return;
    const total = uploads.accepted().length + uploads.pending.size;
    if (waiting) status.textContent = fill(text.strWaiting, { done: uploads.accepted().length, total });
  };
  const send = () => {
    sending = true;
    if (status && text.strSending) status.textContent = text.strSending;
    if (button) setTimeout(() => { button.disabled = true; }, 0);
  };
  form.addEventListener("submit", (event) => {
    if (event.submitter && event.submitter.name === "choose_province") return;
    if (sending) { event.preventDefault(); return; }
    if (uploads && uploads.pending.size) {
      event.preventDefault();
      waiting = true;
      if (button) button.setAttribute("aria-disabled", "true");
      report();
      return;
    }
    if (uploads && uploads.list.querySelector(".is-offline")) {
      event.preventDefault();
      if (status) status.textContent = text.strFailed;
      return;
    }
    send();
  });
  if (!uploads) return;
  const previous = uploads.onChange;
  uploads.onChange = () => {
    previous();
    report();
    if (!waiting || uploads.pending.size) return;
    waiting = false;
    if (button) button.removeAttribute("aria-disabled");
    if (uploads.list.querySelector(".is-offline")) {
      status.textContent = text.strFailed;
      return;
    }
    form.requestSubmit(button || undefined);
  };
}

// Everything typed (and the uploaded photos) kept in this tab while the form is
// filled in: a language switch, a refused request or a lost page gives it back.
function setUpKeeping(form, uploads) {
  const key = keptKey(form);
  const fields = () => [...form.elements].filter((field) => field.name && !["file", "submit", "button"].includes(field.type)
    && !["csrf_token", "staged", "code", "website"].includes(field.name));
  const save = () => {
    const values = {};
    fields().forEach((field) => {
      if (field.type === "radio" || field.type === "checkbox") {
        if (field.checked) values[field.name] = field.value;
      } else {
        values[field.name] = field.value;
      }
    });
    kept.set(key, { values, photos: uploads ? uploads.snapshot() : [] });
  };
  const saved = kept.get(key);
  const untouched = fields().every((field) => field.type === "hidden" || field.type === "radio" || field.type === "checkbox"
    || field.tagName === "SELECT" || !field.value) && !(uploads && uploads.accepted().length);
  if (saved && untouched) restoreFields(form, saved, uploads);
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  if (uploads) {
    const previous = uploads.onChange;
    uploads.onChange = () => { previous(); save(); };
  }
}

function restoreFields(form, saved, uploads) {
  Object.entries(saved.values).forEach(([name, value]) => {
    const field = form.elements[name];
    if (!field) return;
    if (field instanceof RadioNodeList) {
      [...field].forEach((option) => { option.checked = option.value === value; });
    } else if (field.type === "checkbox") {
      field.checked = true;
    } else if (name !== "ward") {
      field.value = value;
    }
  });
  form.querySelectorAll("[data-location-switch] input, [data-identity-switch] input").forEach((radio) => {
    radio.dispatchEvent(new Event("change", { bubbles: true }));
  });
  if (uploads && saved.photos) uploads.restore(saved.photos);
  const ward = form.elements.ward;
  if (ward && saved.values.ward) loadWardOptions(form.elements.province.value, ward, saved.values.ward);
}

// The ward found by typing, accents or not ("phuc tan" finds "Phúc Tân").
function setUpWardFinder(form) {
  const ward = form.elements.ward;
  if (!ward || !form.dataset.strFindWard) return;
  const finder = element("input", "ward-finder");
  finder.type = "search";
  finder.placeholder = form.dataset.strFindWard;
  finder.setAttribute("aria-label", form.dataset.strFindWard);
  finder.autocomplete = "off";
  finder.dataset.testid = "ward-finder";
  const suggestions = element("ul", "ward-suggestions");
  ward.before(finder, suggestions);
  finder.addEventListener("input", () => {
    const words = fold(finder.value.trim()).split(/\s+/).filter(Boolean);
    suggestions.replaceChildren();
    if (!words.length) return;
    [...ward.options].filter((option) => option.value && option.value !== "None"
      && words.every((word) => fold(option.text).includes(word))).slice(0, 8).forEach((option) => {
      const choice = element("button", "", option.text);
      choice.type = "button";
      choice.addEventListener("click", () => {
        ward.value = option.value;
        finder.value = option.text;
        suggestions.replaceChildren();
        ward.dispatchEvent(new Event("change", { bubbles: true }));
      });
      const item = element("li");
      item.append(choice);
      suggestions.append(item);
    });
  });
}

// "Use my current location": asked only when tapped; a refusal changes nothing.
function setUpGeolocation(form) {
  const box = form.querySelector("[data-geolocation]");
  if (!box || !navigator.geolocation) return;
  box.hidden = false;
  const [lat, lon, accuracy] = ["geo_lat", "geo_lon", "geo_accuracy"].map((name) => form.elements[name]);
  const status = box.querySelector("[data-geostatus]");
  const clear = box.querySelector("[data-geoclear]");
  const changed = () => {
    clear.hidden = !lat.value;
    form.dispatchEvent(new Event("change"));
  };
  box.querySelector("[data-geolocate]").addEventListener("click", () => {
    status.textContent = box.dataset.strAsking;
    navigator.geolocation.getCurrentPosition((position) => {
      lat.value = position.coords.latitude.toFixed(6);
      lon.value = position.coords.longitude.toFixed(6);
      accuracy.value = String(Math.round(position.coords.accuracy));
      status.textContent = fill(box.dataset.strAttached, { m: accuracy.value });
      changed();
    }, () => {
      status.textContent = box.dataset.strFailed;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
  clear.addEventListener("click", () => {
    lat.value = lon.value = accuracy.value = "";
    status.textContent = "";
    changed();
  });
  clear.hidden = !lat.value;
}

document.addEventListener("DOMContentLoaded", () => {
  if (document.querySelector("[data-report-sent]")) kept.clearAll();
  document.querySelectorAll("form[data-public-form]").forEach((form) => {
    const box = form.querySelector("[data-photo-uploads]");
    const uploads = box && window.FormData && window.XMLHttpRequest ? new PhotoUploads(form, box) : null;
    setUpSending(form, uploads);
    setUpWardFinder(form);
    setUpGeolocation(form);
    setUpKeeping(form, uploads);
  });
});
