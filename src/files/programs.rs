//! Programs and scripts, told by their name and by their first bytes, so that no use of the
//! store hands one to the people who download from it. A name alone is not enough (a script
//! renamed `report.pdf` is still run by whoever renames it back, or opened by a careless
//! viewer) and bytes alone are not either (a VBScript file is plain text): both are asked.

/// Extensions that Windows, macOS or a Unix desktop runs, installs or mounts on a double
/// click, or that a script host executes. Compared in lower case, after the trailing dots and
/// spaces Windows drops from a name.
const PROGRAM_EXTENSIONS: &[&str] = &[
    // Windows programs, libraries, installers and their relatives.
    "exe",
    "com",
    "scr",
    "pif",
    "cpl",
    "dll",
    "ocx",
    "sys",
    "drv",
    "xll",
    "msi",
    "msp",
    "mst",
    "msc",
    "appx",
    "appxbundle",
    "msix",
    "msixbundle",
    "appref-ms",
    "application",
    "gadget",
    "xbap",
    "diagcab", // Windows scripts and what runs them.
    "bat",
    "cmd",
    "vbs",
    "vbe",
    "vb",
    "js",
    "jse",
    "wsf",
    "wsh",
    "wsc",
    "ws",
    "sct",
    "hta",
    "ps1",
    "ps1xml",
    "ps2",
    "ps2xml",
    "psc1",
    "psc2",
    "psm1",
    "psd1",
    "msh",
    "msh1",
    "msh2",
    "mshxml",
    "msh1xml",
    "msh2xml",
    "reg",
    "inf",
    "scf",
    "lnk",
    "url",
    "chm",
    "hlp",
    "settingcontent-ms",
    "library-ms",
    "search-ms", // Java.
    "jar",
    "jnlp",
    "class", // Unix and macOS.
    "sh",
    "bash",
    "zsh",
    "csh",
    "ksh",
    "fish",
    "command",
    "run",
    "app",
    "pkg",
    "dmg",
    "deb",
    "rpm",
    "apk",
    "appimage",
    "elf",
    "bin",
    "out", // Interpreted scripts.
    "py",
    "pyw",
    "pyz",
    "pyc",
    "pl",
    "rb",
    "php",
    "lua",
    "wasm",
    // Disk images, which Windows mounts on a double click with the programs inside.
    "iso",
    "img",
    "vhd",
    "vhdx",
];

/// Whether a (cleaned) file name is a program's or a script's.
pub fn is_program_name(name: &str) -> bool {
    let name = name.trim_end_matches(['.', ' ']);
    let Some((_, extension)) = name.rsplit_once('.') else {
        return false;
    };
    let extension = extension.to_ascii_lowercase();
    PROGRAM_EXTENSIONS.contains(&extension.as_str())
}

/// Types `infer` finds from the bytes of programs: Windows (PE), Linux (ELF, COFF), macOS
/// (Mach-O), Java classes, Android, WebAssembly, LLVM bitcode, and scripts opening with `#!`.
const PROGRAM_TYPES: &[&str] = &[
    "application/vnd.microsoft.portable-executable",
    "application/x-executable",
    "application/x-mach-binary",
    "application/java",
    "application/vnd.android.dex",
    "application/vnd.android.dey",
    "application/wasm",
    "application/x-llvm",
    "text/x-shellscript",
];

/// Words that only scripts hold, in lower case: Windows Script Host (VBScript, JScript, WSF,
/// HTA), PowerShell, batch files and the tools they call. A text file (a CSV, notes) that
/// merely names PowerShell or JavaScript holds none of them.
const SCRIPT_MARKERS: &[&str] = &[
    "createobject(",
    "getobject(",
    "wscript.",
    "cscript",
    "activexobject",
    "shell.application",
    "executeglobal",
    "<hta:application",
    "<job>",
    "<job ",
    "<package>",
    "<scriptlet",
    "<component>",
    "<component ",
    "<script",
    "invoke-expression",
    "iex(",
    "iex (",
    "invoke-webrequest",
    "downloadstring(",
    "downloadfile(",
    "frombase64string(",
    "-encodedcommand",
    "set-executionpolicy",
    "start-process ",
    "powershell.exe",
    "powershell -",
    "cmd.exe",
    "cmd /c",
    "rundll32",
    "regsvr32",
    "mshta",
    "certutil -",
    "bitsadmin",
    "windows registry editor",
];

/// Openings of text that is a script from its first line.
const SCRIPT_OPENINGS: &[&str] = &["#!", "@echo", "regedit4"];

/// Whether the first bytes of a file (the first stored chunk) are a program's or a script's:
/// a type `infer` knows as a program, a Windows installer or shortcut, compiled help, or,
/// for text whose type no bytes announce, the words of a script. This finds what is sent as
/// it is; it is no virus scanner, and a program inside an archive stays inside it.
pub fn is_program(content_type: &str, first_bytes: &[u8]) -> bool {
    if PROGRAM_TYPES.contains(&content_type) {
        return true;
    }
    if content_type == "application/x-ole-storage" && is_windows_installer(first_bytes) {
        return true;
    }
    // A Windows shortcut runs whatever command it names; compiled help runs scripts.
    if first_bytes.starts_with(b"L\0\0\0\x01\x14\x02\0") || first_bytes.starts_with(b"ITSF") {
        return true;
    }
    if matches!(content_type, "application/octet-stream" | "text/xml") {
        let text = as_text(first_bytes);
        let opening = text.trim_start();
        return SCRIPT_OPENINGS.iter().any(|o| opening.starts_with(o))
            || SCRIPT_MARKERS.iter().any(|m| text.contains(m));
    }
    false
}

/// An OLE compound file whose root storage is a Windows Installer package, patch or
/// transform (the class ids `{000C1084-…}`, `{000C1086-…}`, `{000C1082-…}`); `infer` calls
/// all of them `application/x-ole-storage`, as it calls older Office files.
fn is_windows_installer(bytes: &[u8]) -> bool {
    let read_u16 = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let read_u32 = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (Some(shift), Some(first_directory)) = (read_u16(0x1E), read_u32(0x30)) else {
        return false;
    };
    if !matches!(shift, 9 | 12) {
        return false;
    }
    let root = (u64::from(first_directory) + 1) << shift;
    let Some(class) = usize::try_from(root + 0x50)
        .ok()
        .and_then(|at| bytes.get(at..at + 16))
    else {
        return false;
    };
    matches!(class[0], 0x82 | 0x84 | 0x86)
        && class[1..] == [0x10, 0x0C, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46]
}

/// The bytes as lower-case text: UTF-16 when a byte-order mark says so (PowerShell's
/// editors save it), UTF-8 otherwise, with anything undecodable replaced.
fn as_text(bytes: &[u8]) -> String {
    let utf16 = |rest: &[u8], little: bool| {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|p| {
                if little {
                    u16::from_le_bytes([p[0], p[1]])
                } else {
                    u16::from_be_bytes([p[0], p[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    let text = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        utf16(rest, true)
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        utf16(rest, false)
    } else {
        String::from_utf8_lossy(bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes))
            .into_owned()
    };
    text.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::detect_type;

    fn program(bytes: &[u8]) -> bool {
        is_program(detect_type(bytes), bytes)
    }

    #[test]
    fn names_of_programs_and_scripts_are_told_whatever_their_case_and_trailing_dots() {
        for name in [
            "setup.exe",
            "Budget.VBS",
            "run.bat",
            "run.cmd",
            "a.ps1",
            "a.hta",
            "a.js",
            "a.jse",
            "a.wsf",
            "a.msi",
            "a.scr",
            "a.com",
            "a.sh",
            "report.pdf.exe",
            "report.vbs.",
            "report.vbs . .",
            "disk.iso",
        ] {
            assert!(is_program_name(name), "{name}");
        }
        for name in [
            "report.pdf",
            "rates.csv",
            "exe",
            "notes",
            "plan.docx",
            "vbs.pdf",
            "site.com.pdf",
        ] {
            assert!(!is_program_name(name), "{name}");
        }
    }

    #[test]
    fn programs_are_told_by_their_bytes() {
        let mut exe = b"MZ\x90\x00".to_vec();
        exe.resize(256, 0);
        assert!(program(&exe));
        let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
        elf.resize(64, 0);
        assert!(program(&elf));
        assert!(program(b"#!/bin/sh\necho hi\n"));
        assert!(program(b"  \n#!/usr/bin/env python3\n"));
        assert!(program(b"@echo off\r\ndel x\r\n"));
        assert!(program(b"@ECHO OFF\r\n"));
        assert!(program(b"Set s = CreateObject(\"WScript.Shell\")"));
        assert!(program(
            b"\xef\xbb\xbfIEX (New-Object Net.WebClient).DownloadString('x')"
        ));
        assert!(program(
            b"<job><script language=\"VBScript\">x</script></job>"
        ));
        assert!(program(b"Windows Registry Editor Version 5.00\r\n"));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                "Invoke-Expression $x"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        assert!(program(&utf16));
        assert!(program(b"L\0\0\0\x01\x14\x02\0\0\0\0\0"));
        assert!(program(b"ITSF\x03\0\0\0"));
    }

    #[test]
    fn a_windows_installer_is_told_from_an_office_file_in_the_same_container() {
        // An OLE header with 512-byte sectors whose directory starts at sector 0, that is at
        // byte 512, where the root entry holds the class id.
        let ole = |class: [u8; 16]| {
            let mut b = vec![0u8; 2048];
            b[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
            b[0x1E..0x20].copy_from_slice(&9u16.to_le_bytes());
            b[0x30..0x34].copy_from_slice(&0u32.to_le_bytes());
            b[512 + 0x50..512 + 0x60].copy_from_slice(&class);
            b
        };
        let installer = [
            0x84, 0x10, 0x0C, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
        ];
        let bytes = ole(installer);
        assert!(is_program("application/x-ole-storage", &bytes));
        let other = ole([7; 16]);
        assert!(!is_program("application/x-ole-storage", &other));
        assert!(!is_program("application/x-ole-storage", &bytes[..600]));
    }

    #[test]
    fn documents_and_text_that_only_name_scripts_are_not_programs() {
        assert!(!program(
            b"%PDF-1.4\n% wscript. inside a PDF is the PDF's business\n"
        ));
        assert!(!program(
            b"tool,use\r\nPowerShell,reports\r\nJavaScript,the website\r\n"
        ));
        assert!(!program(b"Minutes of the meeting. Nothing to run here.\n"));
        assert!(!program(
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>"
        ));
        assert!(!program(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"));
    }
}
