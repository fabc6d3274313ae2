; Inno Setup script: installs the PyInstaller one-folder build (dist\pmdesk, made by
; installers\macos\build.sh on Windows) and registers pmdesk for its file types, so double-clicking
; a .hprof, .jfr, .ips, .tdump or .pmdesk opens it (a second start hands the file to the open window).
; Build: iscc installers\windows\pmdesk.iss
#define AppName "pmdesk"
#define AppVersion "0.1.0"

[Setup]
AppId={{6F4E2C1A-5B0D-4C7E-9E3A-2D1F8B7C6A50}
AppName={#AppName}
AppVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
OutputBaseFilename=pmdesk-{#AppVersion}-setup
ChangesAssociations=yes
PrivilegesRequiredOverridesAllowed=dialog
SourceDir=..\..

[Files]
Source: "dist\pmdesk\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\pmdesk.exe"

[Registry]
; one ProgID per kind of file, each opened by pmdesk.exe "%1"
Root: HKA; Subkey: "Software\Classes\pmdesk.hprof"; ValueType: string; ValueData: "Java heap dump"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\pmdesk.hprof\shell\open\command"; ValueType: string; ValueData: """{app}\pmdesk.exe"" ""%1"""
Root: HKA; Subkey: "Software\Classes\.hprof\OpenWithProgids"; ValueType: string; ValueName: "pmdesk.hprof"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\pmdesk.jfr"; ValueType: string; ValueData: "Java Flight Recorder recording"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\pmdesk.jfr\shell\open\command"; ValueType: string; ValueData: """{app}\pmdesk.exe"" ""%1"""
Root: HKA; Subkey: "Software\Classes\.jfr\OpenWithProgids"; ValueType: string; ValueName: "pmdesk.jfr"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\pmdesk.ips"; ValueType: string; ValueData: "Apple crash report"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\pmdesk.ips\shell\open\command"; ValueType: string; ValueData: """{app}\pmdesk.exe"" ""%1"""
Root: HKA; Subkey: "Software\Classes\.ips\OpenWithProgids"; ValueType: string; ValueName: "pmdesk.ips"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\pmdesk.tdump"; ValueType: string; ValueData: "Thread dump"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\pmdesk.tdump\shell\open\command"; ValueType: string; ValueData: """{app}\pmdesk.exe"" ""%1"""
Root: HKA; Subkey: "Software\Classes\.tdump\OpenWithProgids"; ValueType: string; ValueName: "pmdesk.tdump"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\pmdesk.session"; ValueType: string; ValueData: "pmdesk session"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\pmdesk.session\shell\open\command"; ValueType: string; ValueData: """{app}\pmdesk.exe"" ""%1"""
Root: HKA; Subkey: "Software\Classes\.pmdesk"; ValueType: string; ValueData: "pmdesk.session"; Flags: uninsdeletevalue
