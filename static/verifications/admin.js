// Small helpers for the admin pages we own (no inline script anywhere).
document.addEventListener("click", function (event) {
  var button = event.target.closest("button.copy-link");
  if (!button) {
    return;
  }
  var input = button.closest("tr").querySelector("input.invite-link");
  input.select();
  var done = function () {
    button.textContent = "Copied";
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(input.value).then(done, function () {
      document.execCommand("copy");
      done();
    });
  } else {
    document.execCommand("copy");
    done();
  }
});
