"use strict";
document.body.dataset.loaded = "yes";
