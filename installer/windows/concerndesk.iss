; ConcernDesk — Inno Setup 6.3+ script for a per-machine install on Windows 10/11 (x64).
;
; NOT BUILT OR RUN IN THIS PROJECT'S CI (Linux only): kept correct by reading. See
; installer/windows/README.md for the build steps, signing, silent switches and Intune/GPO.
;
; Build on Windows, from the repository root, after the PyInstaller bundle:
;   .venv\Scripts\pyinstaller --noconfirm installer\concerndesk.spec
;   "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 installer\windows\concerndesk.iss
; Signed (the SignTool named "concerndesk" is defined on the ISCC command line, README.md):
;   ISCC.exe /DAppVersion=0.1.0 /DSign "/Sconcerndesk=signtool.exe sign /fd sha256 /tr http://timestamp.digicert.com /td sha256 /n $qExample School Trust$q $f" installer\windows\concerndesk.iss
;
; What it never does: touch a user's data. The store lives in each user's
; %LOCALAPPDATA%\ConcernDesk\store and the device keys in that user's Windows Credential
; Manager; neither is under {app}, and the uninstaller deletes only what it installed.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "ConcernDesk"
#define Bundle "..\..\dist\concerndesk"

[Setup]
; Never change AppId: it is how an upgrade finds (and replaces) the installed version.
AppId={{88CFF9F4-C3B5-4991-9875-77CECB721BBA}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=ConcernDesk developers
AppPublisherURL=https://example.org/concerndesk
VersionInfoVersion={#AppVersion}
; Per-machine: Program Files, an administrator (or SYSTEM, under Intune/GPO) installs it.
PrivilegesRequired=admin
DefaultDirName={autopf}\{#AppName}
DisableDirPage=auto
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist
OutputBaseFilename=ConcernDesk-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\concerndesk.ico
UninstallDisplayIcon={app}\concerndesk.exe
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; An upgrade closes a running ConcernDesk (Restart Manager) before replacing its files; the app
; locks itself and keeps an unsaved concern as an encrypted draft when it is asked to close.
CloseApplications=force
RestartApplications=no
; The store's files are per-user and outside {app}: no reboot is ever needed.
RestartIfNeededByRun=no
#ifdef Sign
SignTool=concerndesk
SignedUninstaller=yes
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade replaces the whole bundle, so no library from an older version lingers beside the
; new one. Only the program folder: user data is never under {app}.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
#ifdef Sign
Source: "{#Bundle}\concerndesk.exe"; DestDir: "{app}"; Flags: ignoreversion sign
Source: "{#Bundle}\concerndesk-cli.exe"; DestDir: "{app}"; Flags: ignoreversion sign
Source: "{#Bundle}\concerndesk-frontdoor.exe"; DestDir: "{app}"; Flags: ignoreversion sign
#else
Source: "{#Bundle}\concerndesk.exe"; DestDir: "{app}"; Flags: ignoreversion
Source: "{#Bundle}\concerndesk-cli.exe"; DestDir: "{app}"; Flags: ignoreversion
Source: "{#Bundle}\concerndesk-frontdoor.exe"; DestDir: "{app}"; Flags: ignoreversion
#endif
Source: "{#Bundle}\_internal\*"; DestDir: "{app}\_internal"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\concerndesk.exe"; Comment: "Record and manage safeguarding concerns"
Name: "{autoprograms}\{#AppName} demo school"; Filename: "{app}\concerndesk.exe"; Parameters: "--demo"; Comment: "Practise on invented pupils"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\concerndesk.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\concerndesk.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent unchecked

; [UninstallDelete] is deliberately absent: the uninstaller removes only the files listed above.
; Each user's %LOCALAPPDATA%\ConcernDesk (the encrypted store, backups they made there) and
; their Credential Manager entries stay, so reinstalling — or installing a newer version after
; an uninstall — opens the same store. Removing a school's data is a separate, deliberate act
; (installer/windows/README.md, "Removing data").
