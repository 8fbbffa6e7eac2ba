/*
 * smile.v2.js: the Smile sandbox's stand-in for Smile's Wink widget (SmileLinkModal).
 *
 *   new SmileLinkModal({userToken, apiHost, providers, onAccountConnected, ...}).open();
 *
 * Same options and callbacks as Wink (see smile-api.md). It talks to the sandbox's Link API
 * (apiHost, default: this script's origin + "/link/v1") with the user token. It runs under a
 * strict Content-Security-Policy: no inline styles or handlers, no eval; its stylesheet is
 * loaded with a <link> from this script's origin. Plain ES2017, no dependencies.
 *
 * onClose fires for the close icon or Escape ({reason: 'close'}), DONE on the success page
 * ('exit') and Exit on an error page ('error'); a call to close() fires nothing. A 401 from the
 * Link API fires onTokenExpired() and closes the modal without onClose: an expired token, and
 * a token that already opened a widget (user tokens are single use: one per open()).
 * onAccountCreated fires once per account: not again when a wrong password is retried.
 *
 * Not simulated: uploads (enableUpload is accepted; onUploadsCreated/Removed never fire) and
 * templateId (accepted, ignored).
 */
(function () {
  'use strict';

  function findScript() {
    if (document.currentScript) return document.currentScript;
    const scripts = document.querySelectorAll('script[src*="smile.v2.js"]');
    return scripts.length ? scripts[scripts.length - 1] : null;
  }

  const SCRIPT = findScript();
  const SCRIPT_URL = SCRIPT ? new URL(SCRIPT.src, document.baseURI).href : '';
  const SCRIPT_ORIGIN = SCRIPT_URL ? new URL(SCRIPT_URL).origin : window.location.origin;
  const STYLESHEET_URL = SCRIPT_URL
    ? new URL('smile.v2.css', SCRIPT_URL).href
    : SCRIPT_ORIGIN + '/v2/smile.v2.css';
  const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), [tabindex="0"]';
  let instances = 0;

  function ensureStylesheet() {
    if (document.querySelector('link[data-smile-link-modal]')) return;
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = STYLESHEET_URL;
    link.setAttribute('data-smile-link-modal', '');
    document.head.appendChild(link);
  }

  // Builds DOM without innerHTML: text stays text, and no inline handler or style exists.
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      const value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === 'text') node.textContent = value;
      else if (key === 'className') node.className = value;
      else if (key.indexOf('on') === 0) node.addEventListener(key.slice(2).toLowerCase(), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  class LinkError extends Error {
    constructor(kind, message, status) {
      super(message);
      this.kind = kind;
      this.status = status;
    }
  }

  class SmileLinkModal {
    constructor(options) {
      if (!options || typeof options.userToken !== 'string' || !options.userToken) {
        throw new Error('SmileLinkModal: the userToken option is required');
      }
      this.options = Object.assign({}, options);
      this.apiHost = String(options.apiHost || SCRIPT_ORIGIN + '/link/v1').replace(/\/+$/, '');
      this.id = 'smile-link-' + ++instances;
      this.root = null;
      this.session = null;
      this.provider = null;
      this.account = null;
      this.query = '';
      this.typeFilter = '';
      this.onKeydown = this.onKeydown.bind(this);
    }

    // --- Public API ------------------------------------------------------------------------

    open() {
      if (this.root) return this;
      ensureStylesheet();
      this.previousFocus = document.activeElement;
      this.title = el('h2', { id: this.id + '-title', className: 'smile-title', tabindex: '-1' });
      this.body = el('div', { className: 'smile-body' });
      const close = el('button', {
        type: 'button',
        className: 'smile-close',
        'aria-label': 'Close',
        text: '\u00d7',
        onclick: () => this.finish('close'),
      });
      this.dialog = el(
        'div',
        {
          className: 'smile-dialog',
          role: 'dialog',
          'aria-modal': 'true',
          'aria-labelledby': this.id + '-title',
        },
        [el('div', { className: 'smile-header' }, [this.title, close]), this.body]
      );
      this.root = el('div', { className: 'smile-overlay', 'data-smile-link-modal': '' }, [
        this.dialog,
      ]);
      document.body.appendChild(this.root);
      document.documentElement.classList.add('smile-modal-open');
      document.addEventListener('keydown', this.onKeydown, true);
      this.render('Connecting\u2026', [el('p', { className: 'smile-status', role: 'status', text: 'Loading\u2026' })]);
      this.start();
      return this;
    }

    close() {
      if (!this.root) return;
      document.removeEventListener('keydown', this.onKeydown, true);
      document.documentElement.classList.remove('smile-modal-open');
      this.root.remove();
      this.root = null;
      if (this.previousFocus && typeof this.previousFocus.focus === 'function') {
        this.previousFocus.focus();
      }
    }

    // --- Plumbing --------------------------------------------------------------------------

    call(name, data) {
      const callback = this.options[name];
      if (typeof callback !== 'function') return;
      try {
        if (data === undefined) callback();
        else callback(data);
      } catch (error) {
        // A host page's bug must not break the widget.
        if (window.console) window.console.error('SmileLinkModal ' + name + ' threw', error);
      }
    }

    uiEvent(eventName) {
      this.call('onUIEvent', {
        eventName: eventName,
        eventTime: new Date().toISOString(),
        mode: this.session ? this.session.mode : 'SANDBOX',
        userId: this.session ? this.session.userId : null,
        account: {
          providerId: this.provider ? this.provider.id : null,
          accountId: this.account ? this.account.id : null,
        },
        archive: { fileType: null },
      });
    }

    accountData(account) {
      return { accountId: account.id, userId: account.userId, providerId: account.providerId };
    }

    finish(reason) {
      if (!this.root) return;
      this.close();
      this.call('onClose', { reason: reason });
    }

    tokenExpired() {
      // The host page mints a new token and opens a new modal: this one is done.
      this.close();
      this.call('onTokenExpired');
    }

    async api(method, path, body) {
      const headers = { Authorization: 'Bearer ' + this.options.userToken };
      if (body) headers['Content-Type'] = 'application/json';
      let response;
      try {
        response = await fetch(this.apiHost + path, {
          method: method,
          headers: headers,
          body: body ? JSON.stringify(body) : undefined,
          mode: 'cors',
          credentials: 'omit',
        });
      } catch (error) {
        throw new LinkError('network', 'Smile could not be reached. Check your connection and try again.');
      }
      let payload = null;
      try {
        payload = await response.json();
      } catch (error) {
        payload = null;
      }
      if (response.status === 401) {
        this.tokenExpired();
        throw new LinkError('token', 'Your session has expired.', 401);
      }
      if (!response.ok) {
        const message = payload && payload.message ? payload.message : 'Something went wrong.';
        throw new LinkError('http', message + ' (HTTP ' + response.status + ')', response.status);
      }
      return payload ? payload.data : null;
    }

    failed(error) {
      if (error && error.kind === 'token') return; // already closed
      this.showError(error && error.message ? error.message : 'Something went wrong.');
    }

    render(title, children) {
      if (!this.root) return;
      this.title.textContent = title;
      this.body.replaceChildren.apply(this.body, children);
      const first = this.body.querySelector('input, .smile-primary');
      (first && first.tagName === 'INPUT' ? first : this.title).focus();
    }

    onKeydown(event) {
      if (!this.root) return;
      if (event.key === 'Escape') {
        event.preventDefault();
        this.finish('close');
        return;
      }
      if (event.key !== 'Tab') return;
      // Keep focus inside the dialog while it is open (aria-modal).
      const items = Array.prototype.slice.call(this.dialog.querySelectorAll(FOCUSABLE));
      if (!items.length) return;
      const first = items[0];
      const last = items[items.length - 1];
      if (event.shiftKey && (document.activeElement === first || !this.dialog.contains(document.activeElement))) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (document.activeElement === last || !this.dialog.contains(document.activeElement))) {
        event.preventDefault();
        first.focus();
      }
    }

    // --- Flow ------------------------------------------------------------------------------

    async start() {
      try {
        this.session = await this.api('GET', '/session');
      } catch (error) {
        this.failed(error);
        return;
      }
      if (!this.root) return;
      if (this.options.enableConsentPage) this.showConsent();
      else this.showStart();
    }

    providerChoices() {
      const all = this.session.providers;
      const wanted = Array.isArray(this.options.providers) ? this.options.providers : null;
      let list = wanted ? all.filter((p) => wanted.indexOf(p.id) !== -1) : all.slice();
      const top = Array.isArray(this.options.topProviders) ? this.options.topProviders : [];
      const rank = (p) => (top.indexOf(p.id) === -1 ? top.length : top.indexOf(p.id));
      list.sort((a, b) => rank(a) - rank(b));
      return list;
    }

    showStart() {
      const choices = this.providerChoices();
      if (choices.length === 1 && Array.isArray(this.options.providers)) {
        this.skippedList = true;
        this.showLogin(choices[0]);
      } else {
        this.showProviders();
      }
    }

    showConsent() {
      const company = this.options.companyName || 'This company';
      this.render('Connect your accounts', [
        el('p', {
          text:
            company +
            ' uses Smile to verify your employment, income and contributions. You choose which ' +
            'accounts to connect, and you can disconnect them at any time.',
        }),
        el('button', {
          type: 'button',
          className: 'smile-primary',
          text: 'I agree',
          onclick: () => this.showStart(),
        }),
      ]);
      this.uiEvent('ConsentPageOpened');
    }

    showProviders() {
      this.provider = null;
      this.account = null;
      const list = el('ul', { className: 'smile-providers', 'aria-label': 'Providers' });
      const fill = () => {
        const query = this.query.trim().toLowerCase();
        const shown = this.providerChoices().filter(
          (p) =>
            (!query || p.name.toLowerCase().indexOf(query) !== -1) &&
            (!this.typeFilter || p.type === this.typeFilter)
        );
        list.replaceChildren.apply(
          list,
          shown.map((p) =>
            el('li', {}, [
              el('button', {
                type: 'button',
                className: 'smile-provider',
                text: p.name,
                onclick: () => this.showLogin(p),
              }),
            ])
          )
        );
        if (!shown.length) list.appendChild(el('li', { className: 'smile-empty', text: 'No provider matches.' }));
      };
      const parts = [];
      if (this.options.enableSearchBar) {
        const search = el('input', {
          id: this.id + '-search',
          type: 'search',
          className: 'smile-input',
          autocomplete: 'off',
          value: this.query,
          oninput: (event) => {
            this.query = event.target.value;
            fill();
          },
        });
        parts.push(el('label', { for: this.id + '-search', text: 'Search providers' }), search);
      }
      if (this.options.enableTypeBar) parts.push(this.typeBar(fill));
      parts.push(list);
      const connected = (this.session.accounts || []).filter((a) => a.connectionStatus === 'CONNECTED');
      if (connected.length) {
        parts.push(
          el('h3', { className: 'smile-subtitle', text: 'Your connected accounts' }),
          el(
            'ul',
            { className: 'smile-providers' },
            connected.map((account) =>
              el('li', {}, [
                el('button', {
                  type: 'button',
                  className: 'smile-secondary',
                  text: 'Disconnect ' + this.providerName(account.providerId),
                  onclick: () => this.showRevoke(account),
                }),
              ])
            )
          )
        );
      }
      fill();
      this.render('Select your provider', parts);
      this.uiEvent('ProviderListPageOpened');
    }

    typeBar(fill) {
      const labels = {};
      this.providerChoices().forEach((p) => {
        labels[p.type] = p.typeLabel;
      });
      const types = [''].concat(Object.keys(labels));
      const bar = el('div', { className: 'smile-typebar', role: 'group', 'aria-label': 'Provider type' });
      const buttons = types.map((type) =>
        el('button', {
          type: 'button',
          className: 'smile-chip',
          'aria-pressed': String(type === this.typeFilter),
          text: type ? labels[type] : 'All',
          onclick: () => {
            this.typeFilter = type;
            buttons.forEach((b, i) => b.setAttribute('aria-pressed', String(types[i] === type)));
            fill();
          },
        })
      );
      buttons.forEach((b) => bar.appendChild(b));
      return bar;
    }

    providerName(providerId) {
      const found = (this.session.providers || []).filter((p) => p.id === providerId)[0];
      return found ? found.name : providerId;
    }

    errorBox() {
      return el('p', { className: 'smile-error', role: 'alert', hidden: true });
    }

    showMessage(box, message) {
      box.textContent = message;
      box.hidden = !message;
    }

    showLogin(provider) {
      this.provider = provider;
      const loginId = this.id + '-login';
      const passwordId = this.id + '-password';
      const error = this.errorBox();
      const submit = el('button', { type: 'submit', className: 'smile-primary', text: 'Continue' });
      const form = el(
        'form',
        {
          className: 'smile-form',
          novalidate: true,
          onsubmit: async (event) => {
            event.preventDefault();
            const login = form.elements.login.value.trim();
            const password = form.elements.password.value;
            if (!login || !password) {
              this.showMessage(error, 'Enter your username, email or phone, and your password.');
              return;
            }
            submit.disabled = true;
            this.showMessage(error, '');
            try {
              const data = await this.api('POST', '/accounts', {
                providerId: provider.id,
                login: login,
                password: password,
              });
              this.account = data.account;
              if (data.created) this.call('onAccountCreated', this.accountData(data.account));
              if (data.account.connectionStatus === 'AWAITING_MFA') {
                this.showMfa();
                return;
              }
              const code = data.account.connection.errorCode || 'SYSTEM_ERROR';
              this.call('onAccountError', Object.assign(this.accountData(data.account), { errorCode: code }));
              this.showMessage(error, data.account.connection.errorMessage || 'The login failed.');
              form.elements.password.value = '';
              form.elements.password.focus();
            } catch (failure) {
              this.failed(failure);
            } finally {
              submit.disabled = false;
            }
          },
        },
        [
          el('label', { for: loginId, text: 'Username, email or phone' }),
          el('input', { id: loginId, name: 'login', className: 'smile-input', autocomplete: 'username', required: true }),
          el('label', { for: passwordId, text: 'Password' }),
          el('input', {
            id: passwordId,
            name: 'password',
            type: 'password',
            className: 'smile-input',
            autocomplete: 'current-password',
            required: true,
          }),
          error,
          submit,
        ]
      );
      const parts = [el('p', { text: 'Log in with your ' + provider.name + ' account.' }), form];
      if (!this.skippedList) {
        parts.push(
          el('button', { type: 'button', className: 'smile-link', text: 'Back', onclick: () => this.showProviders() })
        );
      }
      this.render('Log in to ' + provider.name, parts);
      this.uiEvent('LoginPageOpened');
    }

    showMfa() {
      const codeId = this.id + '-code';
      const error = this.errorBox();
      const submit = el('button', { type: 'submit', className: 'smile-primary', text: 'Verify' });
      const form = el(
        'form',
        {
          className: 'smile-form',
          novalidate: true,
          onsubmit: async (event) => {
            event.preventDefault();
            const code = form.elements.code.value.trim();
            if (!code) {
              this.showMessage(error, 'Enter the verification code.');
              return;
            }
            submit.disabled = true;
            this.showMessage(error, '');
            try {
              const data = await this.api('POST', '/accounts/' + encodeURIComponent(this.account.id) + '/mfa', {
                code: code,
              });
              this.account = data.account;
              if (data.account.connectionStatus === 'CONNECTED') {
                this.call('onAccountConnected', this.accountData(data.account));
                this.showSuccess();
                return;
              }
              const errorCode = data.account.connection.errorCode || 'SYSTEM_ERROR';
              this.call('onAccountError', Object.assign(this.accountData(data.account), { errorCode: errorCode }));
              this.showMessage(error, data.account.connection.errorMessage || 'The verification failed.');
              form.elements.code.value = '';
              form.elements.code.focus();
            } catch (failure) {
              this.failed(failure);
            } finally {
              submit.disabled = false;
            }
          },
        },
        [
          el('label', { for: codeId, text: 'Verification code' }),
          el('input', {
            id: codeId,
            name: 'code',
            className: 'smile-input',
            inputmode: 'numeric',
            autocomplete: 'one-time-code',
            required: true,
          }),
          error,
          submit,
        ]
      );
      this.render('Enter the verification code', [
        el('p', {
          text:
            this.provider.name +
            ' sent a verification code to your phone or email. (In the sandbox it is always 1234.)',
        }),
        form,
      ]);
      this.uiEvent('MfaPageOpened');
    }

    showSuccess() {
      this.render('Account connected', [
        el('p', { text: 'Your ' + this.provider.name + ' account is connected.' }),
        el('button', {
          type: 'button',
          className: 'smile-primary',
          text: 'DONE',
          onclick: () => this.finish('exit'),
        }),
      ]);
      this.uiEvent('ConnectSuccessPageOpened');
    }

    showRevoke(account) {
      this.account = account;
      this.provider = (this.session.providers || []).filter((p) => p.id === account.providerId)[0] || null;
      const name = this.providerName(account.providerId);
      const error = this.errorBox();
      this.render('Disconnect ' + name + '?', [
        el('p', { text: 'Smile will delete the data it holds from this account.' }),
        error,
        el('button', {
          type: 'button',
          className: 'smile-primary smile-danger',
          text: 'Disconnect',
          onclick: async () => {
            try {
              await this.api('DELETE', '/accounts/' + encodeURIComponent(account.id));
              this.call('onAccountRemoved', this.accountData(account));
              // Not GET /session again: that is the launch, which a token does only once.
              this.session.accounts = (await this.api('GET', '/accounts')).accounts;
              this.showProviders();
            } catch (failure) {
              this.failed(failure);
            }
          },
        }),
        el('button', { type: 'button', className: 'smile-link', text: 'Cancel', onclick: () => this.showProviders() }),
      ]);
      this.uiEvent('AccountRevokePageOpened');
    }

    showError(message) {
      this.render('Something went wrong', [
        el('p', { className: 'smile-error', role: 'alert', text: message }),
        el('button', {
          type: 'button',
          className: 'smile-primary',
          text: 'Exit',
          onclick: () => this.finish('error'),
        }),
      ]);
    }
  }

  window.SmileLinkModal = SmileLinkModal;
})();
